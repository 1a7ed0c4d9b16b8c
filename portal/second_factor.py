"""The staff's second factor (issue 18): an authenticator app (TOTP), confirmed with one code,
and ten recovery codes, each good once.

Who needs it: superusers, users with admin-site access (is_staff) and officers (an agency and a
staff role) — everyone whose session reaches more than a citizen's. Until a staff session has
passed it, the password alone opens only the second-factor pages
(portal.middleware.StaffSecondFactorMiddleware, which also answers the API); the token API
issues a staff member a token only with a current code (`token_refusal`). django-otp keeps the
devices and throttles wrong codes: after n wrong codes in a row a device refuses every code for
2^(n-1) seconds (OTP_TOTP_THROTTLE_FACTOR, OTP_STATIC_THROTTLE_FACTOR).

Every enrolment, reset and use of a recovery code is a StaffSecurityEvent (the admin shows them).
"""

import io
import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_otp import user_has_device
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from portal.models import StaffRole, StaffSecurityEvent, User

RECOVERY_CODE_COUNT = 10
# How far back a code that no longer works is recognised as expired rather than wrong (steps of
# 30 s: five minutes), so that a slow typist or a phone whose clock is off is told so.
EXPIRED_LOOKBACK_STEPS = 10
DEVICE_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def needs_second_factor(user) -> bool:
    """Whether this account must pass the second factor (never for citizens, nor when
    OTP_REQUIRED_FOR_STAFF is off)."""
    if not settings.OTP_REQUIRED_FOR_STAFF or not getattr(user, "is_authenticated", False):
        return False
    return bool(
        user.is_superuser or user.is_staff or (user.agency_id is not None and user.role_names)
    )


def is_pending(user) -> bool:
    """A staff member signed in with the password only: the second factor is still owed.
    `user` is request.user as django-otp's OTPMiddleware leaves it (with is_verified())."""
    if not needs_second_factor(user):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified is not None and is_verified())


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


# --- enrolment -----------------------------------------------------------------------------------


def device_setup(*, user: User) -> TOTPDevice:
    """The authenticator app being enrolled: the same unconfirmed device (and so the same QR
    code) until it is confirmed. Refused once the user has a confirmed one: adding a device
    takes the old one's code (or an administrator's reset), not just the password."""
    if has_device(user):
        raise PermissionDenied
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret as typed into an app without a camera: base32 in groups of four."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG drawn on the server: no script, no style
    attribute and no data: URL, so a Content-Security-Policy of default-src 'self' allows it."""
    image = qrcode.make(
        device.config_url,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=8,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg") :]  # without the XML declaration, to sit inside the page
    return mark_safe(svg)  # noqa: S308 - drawn here from the device's own address


def device_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the app with one of its codes; replace any older devices and recovery codes.
    Returns the new recovery codes, to be shown once (only their use is stored afterwards)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(
            pk=device.pk, user=user, confirmed=False
        )
        # A refusal commits too: django-otp counted the failure (throttling) on the device.
        refusal = _check(device, _normalise(code))
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _new_recovery_codes(user)
            StaffSecurityEvent.objects.create(
                actor=user, subject=user, action=StaffSecurityEvent.Action.ENROLLED
            )
    if refusal is not None:
        raise refusal
    return codes


def recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes in place of the old ones (for a verified session only)."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        StaffSecurityEvent.objects.create(
            actor=user, subject=user, action=StaffSecurityEvent.Action.RECOVERY_RENEWED
        )
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def format_recovery_code(code: str) -> str:
    """abcdefgh → abcd-efgh: easier to copy out by hand (the hyphen is optional when typed)."""
    return f"{code[:4]}-{code[4:]}"


# --- verification --------------------------------------------------------------------------------


def verify(*, user: User, code: str):
    """The device that accepts `code` — the authenticator app's current code, or one of the
    recovery codes (then used up). Refuses with a ValidationError whose code says why:
    "required", "invalid", "expired", "used", "locked" or "no_device"."""
    code = _normalise(code)
    if not code:
        raise ValidationError(
            _("Enter the 6-digit code from your authenticator app, or a recovery code."),
            code="required",
        )
    with transaction.atomic():
        device = _device_for(user, code)
        # A refusal commits too: django-otp counted the failure (throttling) on the device.
        refusal = _check(device, code)
        if refusal is None and isinstance(device, StaticDevice):
            StaffSecurityEvent.objects.create(
                actor=user, subject=user, action=StaffSecurityEvent.Action.RECOVERY_USED
            )
    if refusal is not None:
        raise refusal
    return device


def _normalise(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _device_for(user: User, code: str):
    """Six digits are the app's code; anything else is tried as a recovery code."""
    if code.isdigit() and len(code) <= 8:
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    else:
        device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None and not user_has_device(user):
        raise ValidationError(
            _("You have not set up your second factor yet: sign in on the website to do so."),
            code="no_device",
        )
    if device is None:
        raise _invalid()
    return device


def _check(device, code: str) -> ValidationError | None:
    """None if the device accepts the code; otherwise why not. A refused code counts as a
    failure (django-otp's throttling) unless the device was already locked."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        return _locked(info.get("locked_until"))
    if device.verify_token(code):
        return None
    if isinstance(device, TOTPDevice):
        return _why_not(device, code)
    return _invalid()


def _why_not(device: TOTPDevice, code: str) -> ValidationError:
    """A refused app code: an old one (expired), one already used (a code opens one session), or
    simply wrong."""
    if not code.isdigit():
        return _invalid()
    token = int(code)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    now = totp.t()
    for step in range(now - device.tolerance, now + device.tolerance + 1):
        if step <= device.last_t and hotp(device.bin_key, step, device.digits) == token:
            return ValidationError(
                _("This code has already been used: wait for the next code in your app."),
                code="used",
            )
    for back in range(device.tolerance + 1, EXPIRED_LOOKBACK_STEPS + 1):
        if hotp(device.bin_key, now - back, device.digits) == token:
            return ValidationError(
                _(
                    "This code has expired. Enter the code your app shows now; if codes keep "
                    "expiring, check that your phone's clock is set automatically."
                ),
                code="expired",
            )
    return _invalid()


def _invalid() -> ValidationError:
    return ValidationError(
        _(
            "This code is not right. Enter the 6-digit code your authenticator app shows now, "
            "or one of your recovery codes."
        ),
        code="invalid",
    )


def _locked(until) -> ValidationError:
    until = timezone.localtime(until or timezone.now())
    return ValidationError(
        _("Too many wrong codes in a row: wait until %(time)s and try again."),
        code="locked",
        params={"time": formats.time_format(until, "H:i:s")},
    )


def token_refusal(*, user: User, code: str) -> str | None:
    """Why the token API refuses a token to this account (in the account's language), or None.
    A staff member's token needs a current code: a token opens the staff API as a verified
    session does."""
    if not needs_second_factor(user):
        return None
    with override(user.language):
        if not code:
            return _(
                "A second-factor code is needed for a staff account: send the 6-digit code "
                "from your authenticator app (or a recovery code) as otp."
            )
        try:
            verify(user=user, code=code)
        except ValidationError as error:
            return " ".join(error.messages)
    return None


# --- reset by an administrator -------------------------------------------------------------------


def may_reset(*, actor: User, staff: User) -> bool:
    """A superuser resets anyone's; an agency administrator those of the agency's own staff
    (not a superuser's)."""
    if actor.is_superuser:
        return True
    return (
        actor.has_role(StaffRole.Role.AGENCY_ADMIN)
        and actor.agency_id is not None
        and staff.agency_id == actor.agency_id
        and not staff.is_superuser
    )


@transaction.atomic
def device_reset(*, actor: User, staff: User) -> None:
    """Remove the staff member's authenticator app and recovery codes (a lost phone): the next
    sign-in enrols a new app. Their verified sessions end with the device (django-otp checks it
    on each request) and their API tokens are revoked, since a code was what issued them."""
    if not may_reset(actor=actor, staff=staff):
        raise PermissionDenied
    TOTPDevice.objects.filter(user=staff).delete()
    StaticDevice.objects.filter(user=staff).delete()
    Token.objects.filter(user=staff).delete()
    StaffSecurityEvent.objects.create(
        actor=actor, subject=staff, action=StaffSecurityEvent.Action.RESET
    )
