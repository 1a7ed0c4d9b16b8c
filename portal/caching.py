"""Whole-page caching of public pages for anonymous visitors.

`AnonymousPageCacheMiddleware` sits near the top of the middleware stack, so that a cached page
is answered without sessions, CSRF, authentication or URL resolution. A page is cached under a
key made of a *generation* token (replaced whenever the data behind the page changes, see
`bump`), the language the visitor would get, the Accept header and the full path, so no stale
page outlives a change.

Only visitors without a session or pending messages are served from the cache, and only pages
under CACHED_PREFIXES that carry no cookie (public pages have no CSRF token: the language switch
is a plain link).
"""

import hashlib
import uuid

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation

DEFAULT_TIMEOUT = 300

# Path prefixes served from the cache, and the generation that invalidates them.
CACHED_PREFIXES = {
    "/procedures/": "catalogue",
    "/api/v1/procedures/": "catalogue",
    "/thong-ke/": "statistics",  # renewed by each refresh of the counts (stats.aggregates)
}

_SKIPPED_HEADERS = {"set-cookie", "content-length"}


def generation(name: str) -> str:
    return cache.get_or_set(f"gen:{name}", lambda: uuid.uuid4().hex, timeout=None)


def bump(name: str) -> None:
    """Invalidate every page cached under this generation."""
    cache.set(f"gen:{name}", uuid.uuid4().hex, timeout=None)


def _generation_name(path: str) -> str | None:
    for prefix, name in CACHED_PREFIXES.items():
        if path.startswith(prefix):
            return name
    return None


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def _key(self, request) -> str | None:
        if request.method not in ("GET", "HEAD"):
            return None
        name = _generation_name(request.path)
        if name is None:
            return None
        from django.conf import settings

        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
            return None
        if request.headers.get("Authorization"):
            return None
        language = translation.get_language_from_request(request)
        variant = f"{request.get_full_path()}\n{request.headers.get('Accept', '')}"
        digest = hashlib.sha256(variant.encode()).hexdigest()
        return f"page:{generation(name)}:{language}:{digest}"

    def __call__(self, request):
        key = self._key(request)
        if key is not None:
            hit = cache.get(key)
            if hit is not None:
                status, headers, content = hit
                response = HttpResponse(content, status=status)
                for header, value in headers:
                    response[header] = value
                response["X-Page-Cache"] = "hit"
                return response
        response = self.get_response(request)
        if (
            key is not None
            and response.status_code in (200, 404)
            and not response.streaming
            and not response.cookies
        ):
            headers = [(h, v) for h, v in response.items() if h.lower() not in _SKIPPED_HEADERS]
            cache.set(key, (response.status_code, headers, response.content), DEFAULT_TIMEOUT)
        return response
