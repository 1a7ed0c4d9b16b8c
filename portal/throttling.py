"""Per-user limits on the authenticated API, by what a request does: reads (GET, HEAD,
OPTIONS), writes (any other method) and uploads (a write to a view with `throttle_uploads`).
Anonymous callers are limited elsewhere (the token exchange, verification, tracking)."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle

from portal.ratelimit import client_ip

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class UserActionThrottle(SimpleRateThrottle):
    """`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` names the rates `user_reads`, `user_writes` and
    `user_uploads` (read on each request, so that a changed setting applies at once)."""

    def __init__(self):  # the rate depends on the request: chosen in allow_request
        pass

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def allow_request(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return True
        if request.method in SAFE_METHODS:
            self.scope = "user_reads"
        elif getattr(view, "throttle_uploads", False):
            self.scope = "user_uploads"
        else:
            self.scope = "user_writes"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ClientAddressMixin:
    """REST framework keys an anonymous caller's limit on `X-Forwarded-For` when the request has
    one (its `get_ident`, with NUM_PROXIES unset): a client that sends a new address with each
    request is never limited. Here the address is the portal's own client-IP rule
    (portal.ratelimit.client_ip: the socket's address, or the header CLIENT_IP_HEADER names,
    set by the portal's own proxy), the same as public tracking and the login's limits."""

    def get_ident(self, request):
        return client_ip(request)

    def get_rate(self):
        # Read on each request, as UserActionThrottle does (REST framework copies the rates
        # into the class when it is imported).
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)


class AddressRateThrottle(ClientAddressMixin, AnonRateThrottle):
    """REST framework's anonymous limit (the `anon` rate), per client address."""


class ScopedAddressRateThrottle(ClientAddressMixin, ScopedRateThrottle):
    """REST framework's scoped limit (a view's `throttle_scope`), per user or client address."""
