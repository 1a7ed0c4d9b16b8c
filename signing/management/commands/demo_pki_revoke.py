import datetime as dt
import re
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.models import Agency, User
from signing import certificates, pki
from signing.models import PersonalCertificate, SigningCertificate

REASONS = ["key_compromise", "superseded", "cessation_of_operation", "affiliation_changed"]
HEX_SERIAL = re.compile(r"(?:0x)?[0-9a-f]+(?::[0-9a-f]+)*", re.IGNORECASE)


class Command(BaseCommand):
    help = (
        "Revoke a certificate of the demo PKI, as its CA would: from now on the demo CRL lists "
        "it and the demo OCSP responder answers 'revoked' (signing/pki_service.py). WHAT is a "
        "certificate serial in hex, an agency code (its signing certificate in force) or a staff "
        "email (their personal certificate in force). The portal's records are left as they "
        "are: the portal learns of it as from a real CA. DEMO — not for production."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", help="Serial (hex), agency code or staff email")
        parser.add_argument("--reason", choices=REASONS, default="key_compromise")
        parser.add_argument("--dir", default=str(settings.SIGNING_DEMO_PKI_DIR))

    def handle(self, *args, what: str, reason: str, dir: str, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "demo_pki_revoke is for the demo PKI: refused with PORTAL_ENV=production"
            )
        directory = Path(dir)
        if not (directory / pki.ROOT_CERT_FILE).exists():
            raise CommandError(f"No demo PKI in {directory} (make_demo_pki makes one)")
        _key, root_cert, _path = pki.load_or_make_root(directory)
        cert, label = self._find(what.strip(), directory, root_cert)
        try:
            cert.verify_directly_issued_by(root_cert)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise CommandError(
                f"{label} was not issued by the demo root in {directory}: only its own CA can "
                "revoke it"
            ) from exc
        serial = cert.serial_number
        before = pki.revocations(directory).get(serial)
        revoked_at, recorded_reason = pki.revoke(directory, serial, reason=reason)
        when = revoked_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if before is not None:
            self.stdout.write(
                f"{label[:1].upper()}{label[1:]} (serial {serial:x}) was already revoked at "
                f"{when} ({recorded_reason})"
            )
            return
        self.stdout.write(
            f"Revoked {label} (serial {serial:x}, {cert.subject.rfc4514_string()}) at {when} "
            f"({recorded_reason}): the demo CRL and OCSP responder of {directory} say so now"
        )

    def _find(self, what: str, directory: Path, root_cert) -> tuple[x509.Certificate, str]:
        """The certificate `what` names, and words for it."""
        agency = Agency.objects.filter(code=what).first()
        if agency is not None:
            row = certificates.certificate_for_signing(agency)
            if row is None:
                raise CommandError(f"Agency {what} has no signing certificate in force")
            return certificates.load_x509(row), f"the signing certificate of {agency.code}"
        if "@" in what:
            user = User.objects.filter(email__iexact=what).first()
            if user is None:
                raise CommandError(f"No user {what}")
            row = certificates.personal_certificate_for(user)
            if row is None:
                raise CommandError(f"{user.email} has no personal certificate in force")
            return certificates.load_x509(row), f"the personal certificate of {user.email}"
        if HEX_SERIAL.fullmatch(what):
            return self._by_serial(what, directory, root_cert)
        raise CommandError(
            f"{what!r} is neither a certificate serial in hex, an agency code nor a staff email"
        )

    def _by_serial(self, what: str, directory: Path, root_cert) -> tuple[x509.Certificate, str]:
        # As SigningCertificate.serial and PersonalCertificate.serial keep it: lower-case hex,
        # no leading zeros (what `openssl x509 -serial` prints has them, and upper case).
        serial = format(int(what.lower().removeprefix("0x").replace(":", ""), 16), "x")
        found = [
            (certificates.load_x509(row), f"the signing certificate {row}")
            for row in SigningCertificate.objects.filter(serial=serial)
        ] + [
            (certificates.load_x509(row), f"the personal certificate {row}")
            for row in PersonalCertificate.objects.filter(serial=serial)
        ]
        tsa = directory / pki.TSA_CERT_FILE
        if tsa.exists():
            found.append((x509.load_pem_x509_certificate(tsa.read_bytes()), "the demo TSA"))
        found = [
            (cert, label) for cert, label in found if format(cert.serial_number, "x") == serial
        ]
        if not found:
            raise CommandError(f"No certificate with serial {serial} in the portal")
        # Serials are unique per CA: the demo root's, if one is, is the one meant.
        return next(
            ((cert, label) for cert, label in found if cert.issuer == root_cert.subject), found[0]
        )
