"""A fixed-window counter in the cache (Redis in production), for guessing-prone forms."""

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    if settings.CLIENT_IP_HEADER:
        value = request.META.get(settings.CLIENT_IP_HEADER, "")
        if value:
            return value.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def exceeded(*keys: str, limit: int) -> bool:
    """Whether any key has used up its attempts (without counting one)."""
    values = cache.get_many([f"rl:{key}" for key in keys])
    return any(int(value) >= limit for value in values.values())


def hit(*keys: str, window_seconds: int) -> None:
    """Count one attempt against each key; a key's window starts with its first attempt."""
    for key in keys:
        name = f"rl:{key}"
        if not cache.add(name, 1, timeout=window_seconds):
            try:
                cache.incr(name)
            except ValueError:  # expired between add and incr
                cache.add(name, 1, timeout=window_seconds)
