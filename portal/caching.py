"""Whole-page caching of public pages for anonymous visitors.

A page is cached under a key made of a *generation* token (replaced whenever the data behind the
page changes, see `bump`), the active language and the full path, so no stale page outlives a
change. Anonymous pages carry no CSRF token (the language switch is a plain link), so one cached
copy serves every anonymous visitor; logged-in users and requests with pending messages always
get a freshly rendered page.
"""

import functools
import hashlib
import uuid

from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

DEFAULT_TIMEOUT = 300


def generation(name: str) -> str:
    return cache.get_or_set(f"gen:{name}", lambda: uuid.uuid4().hex, timeout=None)


def bump(name: str) -> None:
    """Invalidate every page cached under this generation."""
    cache.set(f"gen:{name}", uuid.uuid4().hex, timeout=None)


def _cacheable_request(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and "messages" not in request.COOKIES
    )


def anonymous_page(generation_name: str, timeout: int = DEFAULT_TIMEOUT):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            # The Accept header picks the representation (the API's JSON or its HTML page).
            variant = f"{request.get_full_path()}\n{request.headers.get('Accept', '')}"
            digest = hashlib.sha256(variant.encode()).hexdigest()
            key = f"page:{generation(generation_name)}:{get_language()}:{digest}"
            hit = cache.get(key)
            if hit is not None:
                response = HttpResponse(hit[1], content_type=hit[0], status=hit[2])
                response["X-Page-Cache"] = "hit"
            else:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
                if response.status_code in (200, 404) and not response.cookies:
                    cache.set(
                        key,
                        (response["Content-Type"], response.content, response.status_code),
                        timeout,
                    )
            patch_vary_headers(response, ["Cookie", "Accept-Language", "Accept"])
            return response

        return wrapper

    return decorator
