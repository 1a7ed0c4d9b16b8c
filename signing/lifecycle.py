"""An agency's signing certificate over its life: its administrators are told, in the admin and
by email, SIGNING_CERTIFICATE_WARN_DAYS before it expires (once per certificate), so that a new
one is imported in time; signing itself refuses an expired certificate (certificates.
usability_errors) and a revoked one (its OCSP answer, signing.ltv.CertificateRevoked)."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.models import StaffRole, User
from signing.models import SigningCertificate

logger = logging.getLogger(__name__)


def expiring(*, days: int | None = None):
    """Active certificates in force that expire within `days` (default the setting)."""
    days = settings.SIGNING_CERTIFICATE_WARN_DAYS if days is None else days
    now = timezone.now()
    return SigningCertificate.objects.filter(
        is_active=True, not_after__gt=now, not_after__lte=now + dt.timedelta(days=days)
    ).select_related("agency")


def renewed(certificate: SigningCertificate) -> bool:
    """Whether the agency already has a certificate in force that outlives this one."""
    return SigningCertificate.objects.filter(
        agency_id=certificate.agency_id,
        is_active=True,
        not_before__lte=timezone.now(),
        not_after__gt=certificate.not_after,
    ).exists()


def warn_expiring() -> int:
    """Email each agency's administrators about each of its certificates that expires soon and
    has no successor yet, once per certificate. Returns how many were warned about."""
    warned = 0
    for certificate in expiring().filter(expiry_warned_at__isnull=True):
        if renewed(certificate):
            continue
        with transaction.atomic():
            locked = (
                SigningCertificate.objects.select_for_update()
                .filter(pk=certificate.pk, expiry_warned_at__isnull=True)
                .first()
            )
            if locked is None:
                continue
            admins = list(
                User.objects.filter(
                    agency_id=certificate.agency_id,
                    is_active=True,
                    roles__role=StaffRole.Role.AGENCY_ADMIN,
                ).exclude(email="")
            )
            if not admins:  # nobody to tell yet: told once someone is appointed
                logger.warning(
                    "certificate %s of %s expires %s and the agency has no administrator",
                    certificate.pk, certificate.agency.code, certificate.not_after,
                )  # fmt: skip
                continue
            for admin in admins:
                _mail(admin, certificate)
            locked.expiry_warned_at = timezone.now()
            locked.save(update_fields=["expiry_warned_at"])
        warned += 1
    return warned


def _mail(user, certificate) -> None:
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        expires = timezone.localtime(certificate.not_after).strftime("%d/%m/%Y")
        subject = _("The signing certificate of %(agency)s expires on %(date)s") % {
            "agency": certificate.agency.name,
            "date": expires,
        }
        body = _(
            "The signing certificate “%(name)s” (serial %(serial)s) of %(agency)s expires on "
            "%(date)s. After that date the portal can no longer sign its documents, and they "
            "wait until a new certificate is imported. Import the renewed certificate in the "
            "administration (Signing certificates → Import) before then."
        ) % {
            "name": certificate.name,
            "serial": certificate.serial,
            "agency": certificate.agency.name,
            "date": expires,
        }
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
    logger.info("certificate %s: expiry warning to %s", certificate.pk, user.email)
