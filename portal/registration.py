"""Password accounts whose owner proved their address and phone (issue 18, finding 5).

Registering tells nobody whether an email address or a citizen ID number already has an
account: the form checks only what its typist can put right (formats, the ID number against the
date of birth and sex, the password), then always answers "we sent a link to that address".
- A new address gets a confirmation link, valid REGISTRATION_LINK_HOURS; the account is made
  when its owner opens it and confirms (a button, not the link alone: mail scanners open links).
- An address that has an account gets a message saying so, with the way to sign in or to set a
  new password; nothing is made.
- A citizen ID number already on another account is dropped from the new one when it is made,
  and the owner of the confirmed address is told (a person who proved an inbox, once per link).

A phone number is confirmed by a six-digit code sent to it by SMS (the SMS backend), valid
PHONE_CODE_MINUTES, at most PHONE_CODE_TRIES tries per code and PHONE_CODES_PER_HOUR codes.

A citizen's password account files only with its email confirmed and its phone, if it has one,
confirmed (filing_blocker): notices of the dossier go to both. An account of the national eID
(VNeID) has its person proved by the eID; staff do not file for themselves.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from portal import ratelimit
from portal.models import PendingRegistration, User

_LINK_SALT = "portal.registration.link"
_EMAIL_SALT = "portal.registration.email"


# --- registering ---------------------------------------------------------------------------------


def registration_start(
    *, data: dict, password_hash: str, language: str, next_url: str = ""
) -> None:
    """Record a registration and write to its address: a confirmation link, or, when the
    address has an account already, how to sign in. The caller answers the same either way."""
    email = data["email"]
    cutoff = timezone.now() - timedelta(hours=settings.REGISTRATION_LINK_HOURS)
    PendingRegistration.objects.filter(created_at__lt=cutoff).delete()
    existing = User.objects.filter(email__iexact=email).first()
    with translation.override(language):
        if existing is not None:
            _mail(
                "registration/email/already_registered",
                email,
                {
                    "user": existing,
                    "login_url": _absolute(reverse("login")),
                    "reset_url": _absolute(reverse("password_reset")),
                },
            )
            return
        pending = PendingRegistration.objects.create(
            email=email,
            full_name=data["full_name"],
            phone=data.get("phone") or "",
            citizen_id=data.get("citizen_id") or None,
            date_of_birth=data.get("date_of_birth"),
            gender=data.get("gender") or "",
            password=password_hash,
            language=language,
            next_url=next_url,
        )
        token = signing.dumps(pending.pk, salt=_LINK_SALT)
        _mail(
            "registration/email/confirm",
            email,
            {
                "pending": pending,
                "url": _absolute(reverse("register_confirm", args=[token])),
                "hours": settings.REGISTRATION_LINK_HOURS,
            },
        )


class LinkProblem(Exception):
    """A confirmation link that cannot make an account: `code` says why (expired, invalid,
    used), the message what to do."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def pending_for(token: str) -> PendingRegistration:
    """The registration a link stands for; LinkProblem if the link is altered, too old, or
    already used."""
    try:
        pk = signing.loads(
            token, salt=_LINK_SALT, max_age=timedelta(hours=settings.REGISTRATION_LINK_HOURS)
        )
    except signing.SignatureExpired:
        raise LinkProblem(
            _(
                "This link has expired: links are valid for %(hours)d hours. Register again to "
                "get a new one."
            )
            % {"hours": settings.REGISTRATION_LINK_HOURS},
            "expired",
        ) from None
    except signing.BadSignature:
        raise LinkProblem(
            _("This link is not valid. Copy the whole link from the email, or register again."),
            "invalid",
        ) from None
    pending = PendingRegistration.objects.filter(pk=pk).first()
    if pending is None:
        raise LinkProblem(
            _("This link has been used already. Log in with your email address and password."),
            "used",
        )
    return pending


class Confirmed(NamedTuple):
    user: User | None  # None: the address had an account by then
    citizen_id_dropped: bool


@transaction.atomic
def registration_confirm(*, pending: PendingRegistration) -> Confirmed:
    """Make the account of a confirmed registration, with its email confirmed now; every other
    registration of the same address ends with it."""
    pending = PendingRegistration.objects.select_for_update().filter(pk=pending.pk).first()
    if pending is None:  # the same link confirmed twice at once
        return Confirmed(None, False)
    siblings = PendingRegistration.objects.filter(email__iexact=pending.email)
    if User.objects.filter(email__iexact=pending.email).exists():
        siblings.delete()
        return Confirmed(None, False)
    number = pending.citizen_id
    dropped = bool(number) and User.objects.filter(citizen_id=number).exists()
    user = User(
        email=pending.email,
        full_name=pending.full_name,
        phone=pending.phone,
        citizen_id=None if dropped else number,
        date_of_birth=pending.date_of_birth,
        gender=pending.gender,
        language=pending.language,
        email_confirmed_at=timezone.now(),
    )
    user.password = pending.password
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the address or the number taken between the check and the save
        siblings.delete()
        return Confirmed(None, False)
    siblings.delete()
    return Confirmed(user, dropped)


# --- confirming an address of an existing account ------------------------------------------------


def email_link(user: User) -> str:
    """A link that confirms the account's current address (after a change in the profile, or
    for an account made before confirmation was asked)."""
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=_EMAIL_SALT)
    return _absolute(reverse("email_confirm", args=[token]))


def email_confirmation_send(*, user: User) -> bool:
    """Send the link to the account's address; False when too many were asked this hour."""
    if not ratelimit.take(
        f"email-confirm:{user.pk}", limit=settings.PHONE_CODES_PER_HOUR, window_seconds=3600
    ):
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        _mail(
            "registration/email/confirm_address",
            user.email,
            {"user": user, "url": email_link(user), "hours": settings.REGISTRATION_LINK_HOURS},
        )
    return True


def email_confirm(*, user: User, token: str) -> None:
    """Mark the address confirmed if the link is this account's, for its current address."""
    try:
        payload = signing.loads(
            token, salt=_EMAIL_SALT, max_age=timedelta(hours=settings.REGISTRATION_LINK_HOURS)
        )
    except signing.SignatureExpired:
        raise ValidationError(
            _("This link has expired. Ask for a new one from your profile."), code="expired"
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            _("This link is not valid. Copy the whole link from the email."), code="invalid"
        ) from None
    if payload.get("u") != user.pk or payload.get("e") != user.email:
        raise ValidationError(
            _(
                "This link is for another address or another account. Ask for a new one from "
                "your profile."
            ),
            code="other",
        )
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])


# --- the phone -----------------------------------------------------------------------------------


def _code_key(user: User) -> str:
    return f"phone-code:{user.pk}"


def _digest(user: User, phone: str, code: str) -> str:
    return salted_hmac("portal.registration.phone", f"{user.pk}:{phone}:{code}").hexdigest()


def phone_code_send(*, user: User) -> None:
    """Send a new code to the account's phone (the one before it stops working). Raises
    ValidationError when there is no phone or too many codes were asked."""
    if not user.phone:
        raise ValidationError(_("Add a phone number to your profile first."), code="no_phone")
    if not ratelimit.take(
        f"phone-code:{user.pk}", limit=settings.PHONE_CODES_PER_HOUR, window_seconds=3600
    ):
        raise ValidationError(
            _("Too many codes were sent to this account: try again in an hour."), code="limit"
        )
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(
        _code_key(user),
        {"digest": _digest(user, user.phone, code), "tries": 0},
        timeout=settings.PHONE_CODE_MINUTES * 60,
    )
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = _(
            "%(code)s is your code to confirm this phone number on the public services portal. "
            "It is valid for %(minutes)d minutes. Do not give it to anyone."
        ) % {"code": code, "minutes": settings.PHONE_CODE_MINUTES}
    phone = user.phone
    from portal.tasks import send_sms_task

    transaction.on_commit(lambda: send_sms_task.delay(phone, text))


def phone_confirm(*, user: User, code: str) -> None:
    """Confirm the phone with the code sent to it. ValidationError says what to do."""
    code = "".join(ch for ch in (code or "") if not ch.isspace())
    state = cache.get(_code_key(user))
    if state is None:
        raise ValidationError(
            _("The code has expired or was never sent: ask for a new code."), code="no_code"
        )
    if state["tries"] >= settings.PHONE_CODE_TRIES:
        cache.delete(_code_key(user))
        raise ValidationError(_("Too many wrong codes: ask for a new code."), code="too_many_tries")
    if not (len(code) == 6 and code.isdigit()) or not hmac.compare_digest(
        state["digest"], _digest(user, user.phone, code)
    ):
        state["tries"] += 1
        cache.set(_code_key(user), state, timeout=settings.PHONE_CODE_MINUTES * 60)
        raise ValidationError(
            _("That is not the code we sent. Enter the 6 digits of the latest message."),
            code="wrong",
        )
    cache.delete(_code_key(user))
    user.phone_confirmed_at = timezone.now()
    user.save(update_fields=["phone_confirmed_at"])


def contact_changed(*, user: User, old_email: str, old_phone: str) -> None:
    """After the profile is saved: a new address or phone number is no longer confirmed (not
    saved here; the caller saves)."""
    if user.email.lower() != (old_email or "").lower():
        user.email_confirmed_at = None
    if user.phone != old_phone:
        user.phone_confirmed_at = None


# --- who may file --------------------------------------------------------------------------------


def filing_blocker(user: User) -> str | None:
    """Why this account may not file yet, or None. Checked when a dossier is submitted."""
    if user.is_staff_account or user.eid_subject:
        if user.phone and user.phone_confirmed_at is None and not user.is_staff_account:
            return _("Confirm your phone number before you file: notices are sent to it.")
        return None
    if user.email_confirmed_at is None:
        return _(
            "Confirm your email address before you file: open the link we sent you, or ask "
            "for a new one from your profile."
        )
    if user.phone and user.phone_confirmed_at is None:
        return _("Confirm your phone number before you file: notices are sent to it.")
    return None


# --- mail ----------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _mail(template: str, to: str, context: dict) -> None:
    from portal.tasks import send_email_task

    context = {**context, "site_url": settings.SITE_URL}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context)
    sender = settings.DEFAULT_FROM_EMAIL
    transaction.on_commit(lambda: send_email_task.delay(subject, body, sender, [to]))
