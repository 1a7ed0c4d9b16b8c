"""Accounts from a national eID identity: find, create, link (one function per use case).

The rules:
- an account is found by the provider's subject once tied to it, else by the citizen ID number;
- none found: a citizen's account is created, with an unusable password;
- a password account with that number is tied to the identity only after its owner types its
  password (`eid_account_link`, called by the linking page): until then it gets no session;
- staff accounts (an agency, admin-site access, superuser) never sign in through the eID.
Every refusal is an `EidError` whose message is shown to the person; nothing is written then.
"""

import hashlib
import logging
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from portal.models import User

logger = logging.getLogger(__name__)

# Created accounts without an email claim get an address under this reserved domain (RFC 2606:
# `.invalid` never resolves), unique per identity; the citizen replaces it on the profile page.
PLACEHOLDER_EMAIL_DOMAIN = "eid.invalid"


class EidError(Exception):
    """A refusal of the eID sign-in, with the message for the person and a code for logs and
    tests."""

    def __init__(self, message, *, code: str):
        super().__init__(code)
        self.message = message
        self.code = code


class LinkRequired(Exception):
    """An account with the identity's citizen ID number exists and has a password: its owner
    types it once to tie the account to the identity."""

    def __init__(self, *, user_id: int):
        super().__init__(user_id)
        self.user_id = user_id


@dataclass(frozen=True)
class Identity:
    """A person as the national eID provider vouches for them, at a level of assurance."""

    subject: str
    citizen_id: str
    full_name: str
    level: str
    email: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def has_placeholder_email(user: User) -> bool:
    return user.email.endswith("@" + PLACEHOLDER_EMAIL_DOMAIN)


def _check_may_use(user: User, identity: Identity) -> None:
    if user.is_staff_account:
        raise EidError(
            _(
                "Agency and site staff cannot sign in with the national eID. Sign in with your "
                "staff email address and password."
            ),
            code="staff",
        )
    if not user.is_active:
        raise EidError(
            _("This account is disabled. Please contact the portal's support."), code="inactive"
        )
    if user.eid_subject is not None and user.eid_subject != identity.subject:
        logger.warning("eID subject mismatch for user %s", user.pk)
        raise EidError(
            _(
                "This account is tied to another national eID identity. Please contact the "
                "portal's support."
            ),
            code="subject_mismatch",
        )


def _record(user: User, identity: Identity) -> User:
    """The sign-in's level of assurance and the name as the national registry has it."""
    user.full_name = identity.full_name
    user.eid_level = identity.level
    user.eid_verified_at = timezone.now()
    user.save(update_fields=["full_name", "eid_subject", "eid_level", "eid_verified_at"])
    return user


def _new_email(identity: Identity) -> str:
    email = User.objects.normalize_email(identity.email or "").lower()
    if email:
        try:
            User._meta.get_field("email").run_validators(email)
        except ValidationError:
            email = ""
    if email and not User.objects.filter(email__iexact=email).exists():
        return email
    digest = hashlib.sha256(identity.subject.encode()).hexdigest()[:24]
    return f"vneid-{digest}@{PLACEHOLDER_EMAIL_DOMAIN}"


def _create(identity: Identity) -> User:
    email = _new_email(identity)
    user = User(
        email=email,
        # The provider vouched for its address (a placeholder one is nobody's).
        email_confirmed_at=None
        if email.endswith(f"@{PLACEHOLDER_EMAIL_DOMAIN}")
        else timezone.now(),
        full_name=identity.full_name,
        citizen_id=identity.citizen_id,
        language=translation.get_language() if translation.get_language() in ("vi", "en") else "vi",
        eid_subject=identity.subject,
        eid_level=identity.level,
        eid_verified_at=timezone.now(),
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # The same person's other tab created it a moment ago: that account, if it is theirs.
        user = User.objects.filter(eid_subject=identity.subject).first()
        if user is None:
            raise EidError(
                _("The account could not be created. Please try again."), code="conflict"
            ) from None
    return user


@transaction.atomic
def eid_account_for(*, identity: Identity) -> User:
    """The account this identity signs in to: found, or created for a new citizen.

    Raises EidError (refused) or LinkRequired (a password account to link first)."""
    user = (
        User.objects.select_for_update().filter(eid_subject=identity.subject).first()
        or User.objects.select_for_update().filter(citizen_id=identity.citizen_id).first()
    )
    if user is None:
        return _create(identity)
    _check_may_use(user, identity)
    if user.eid_subject is None:
        raise LinkRequired(user_id=user.pk)
    if user.citizen_id != identity.citizen_id:
        # The registry's number for this person changed (or was never stored): take it, unless
        # another account holds it.
        if User.objects.filter(citizen_id=identity.citizen_id).exclude(pk=user.pk).exists():
            raise EidError(
                _(
                    "Another account uses the citizen ID number of this identity. Please "
                    "contact the portal's support."
                ),
                code="citizen_id_conflict",
            )
        user.citizen_id = identity.citizen_id
        user.save(update_fields=["citizen_id"])
    return _record(user, identity)


@transaction.atomic
def eid_account_link(*, user_id: int, identity: Identity) -> User:
    """Tie a password account to the identity. The caller has checked the account's password.

    Raises EidError when the account changed since (staff now, another number, tied elsewhere)."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or user.citizen_id != identity.citizen_id:
        raise EidError(
            _("The account changed in the meantime. Please sign in with VNeID again."),
            code="stale",
        )
    _check_may_use(user, identity)
    if User.objects.filter(eid_subject=identity.subject).exclude(pk=user.pk).exists():
        raise EidError(
            _(
                "This national eID identity is already tied to another account. Please contact "
                "the portal's support."
            ),
            code="subject_taken",
        )
    user.eid_subject = identity.subject
    return _record(user, identity)
