"""Limits on guessing passwords (django-axes, issue 18): every password entry point — the site's
login, the admin's, the token API, the password change — counts failures per account and per
client address (the portal's own client-IP rule, portal.ratelimit.client_ip), and after
AXES_FAILURE_LIMIT of either the account or the address is locked for AXES_COOLOFF_TIME, or
until an administrator unlocks it (admin: Axes → Access attempts; or
`manage.py axes_reset_username EMAIL`, `axes_reset_ip ADDRESS`)."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def username(request, credentials) -> str:
    """The account an attempt is for, as sign-in compares it (emails case-insensitively)."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username", "")
    return (value or "").strip().lower()


def locked_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many wrong passwords: sign-in is locked for this account or this address. Try "
        "again in %(minutes)s minutes, or ask an administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked account or address: 429, in the page's language, as JSON for the
    API (the portal's error shape) and as a page elsewhere."""
    message = locked_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "portal/locked.html", {"message": message}, status=429)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' backend, for web requests: every password entry point of the portal passes
    its request (the login forms, the token API, the eID link page, the password change). An
    authentication without one (a management command, the shell, the test client's `login`)
    is no client to count or lock: it passes on to the password check."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
