import pytest


@pytest.fixture
def no_page_cache(settings):
    """For counting a view's own queries rather than a cache hit."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
