"""A fixed-window counter in the cache (Redis in production), for guessing-prone forms."""

import contextlib
import hashlib

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    if settings.CLIENT_IP_HEADER:
        value = request.META.get(settings.CLIENT_IP_HEADER, "")
        if value:
            return value.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def _name(key: str) -> str:
    """The cache key of a counter: keys hold what a client typed (a dossier code, an address
    from a header), so they are hashed into a short key any cache backend takes."""
    return "rl:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _incr(name: str, window_seconds: int) -> int:
    if cache.add(name, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window_seconds)
        return 1


def take(*keys: str, limit: int, window_seconds: int) -> bool:
    """Count an attempt against each key first, then decide: parallel requests cannot all slip
    through before any is counted. False when a key is over its limit."""
    counts = [_incr(_name(key), window_seconds) for key in keys]
    return all(count <= limit for count in counts)


def give_back(*keys: str) -> None:
    """Un-count an attempt that turned out not to be a guess (a successful lookup)."""
    for key in keys:
        with contextlib.suppress(ValueError):
            cache.decr(_name(key))
