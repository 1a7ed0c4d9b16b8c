"""How long a sign-in lasts (issue 18, finding 6): a citizen's session ends after
CITIZEN_SESSION_HOURS; a staff member's after STAFF_IDLE_MINUTES without a request and, in any
case, at the end of the day it began (Vietnam's time); an API token after API_TOKEN_HOURS, and at
once when its owner changes the password or signs out."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

LAST_SEEN = "portal:last_seen"
SIGNED_IN_ON = "portal:signed_in_on"


def is_staff(user) -> bool:
    return bool(user.agency_id or user.is_staff or user.is_superuser)


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    request.session[SIGNED_IN_ON] = timezone.localdate().isoformat()
    request.session[LAST_SEEN] = timezone.now().timestamp()
    if is_staff(user):
        request.session.set_expiry(settings.STAFF_IDLE_MINUTES * 60)
    else:
        request.session.set_expiry(settings.CITIZEN_SESSION_HOURS * 3600)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    """Signing out ends the owner's API token too (sign out everywhere)."""
    if user is not None:
        revoke_tokens(user)


def revoke_tokens(user) -> int:
    from rest_framework.authtoken.models import Token

    deleted, _kinds = Token.objects.filter(user=user).delete()
    return deleted


class SessionLimitsMiddleware:
    """After AuthenticationMiddleware: a staff session idle for STAFF_IDLE_MINUTES, or begun on an
    earlier day, is ended and its user sent to sign in again with the reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            reason = self._ended(request, user)
            if reason:
                logout(request)
                messages.info(request, reason)
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse({"detail": reason}, status=401)
                return redirect_to_login(request.get_full_path())
            self._seen(request.session, user)
        return self.get_response(request)

    @staticmethod
    def _seen(session, user) -> None:
        """Note a staff member's activity, at most once a minute: every write is a session save
        (a database or cache write), and a minute is nothing against the idle limit. A
        citizen's session has no idle limit: nothing to note."""
        if not is_staff(user):
            return
        now = timezone.now().timestamp()
        if now - session.get(LAST_SEEN, 0) >= 60:
            session[LAST_SEEN] = now

    @staticmethod
    def _ended(request, user) -> str:
        if not is_staff(user):
            return ""
        session = request.session
        last = session.get(LAST_SEEN)
        idle = dt.timedelta(minutes=settings.STAFF_IDLE_MINUTES)
        if last is not None and timezone.now().timestamp() - last > idle.total_seconds():
            return _(
                "You were signed out after %(minutes)s minutes without activity. Sign in again."
            ) % {"minutes": settings.STAFF_IDLE_MINUTES}
        started = session.get(SIGNED_IN_ON)
        if started is not None and started != timezone.localdate().isoformat():
            return _("A staff sign-in lasts until the end of the day. Sign in again.")
        return ""


class ExpiringTokenAuthentication(TokenAuthentication):
    """REST framework's token, valid for API_TOKEN_HOURS after it was issued; an expired one is
    deleted and refused with the reason (the owner asks for a new one)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if timezone.now() - token.created > dt.timedelta(hours=settings.API_TOKEN_HOURS):
            token.delete()
            raise exceptions.AuthenticationFailed(_("This token has expired: ask for a new one."))
        return user, token


def token_expires_at(token) -> dt.datetime:
    return token.created + dt.timedelta(hours=settings.API_TOKEN_HOURS)
