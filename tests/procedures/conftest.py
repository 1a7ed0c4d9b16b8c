import pytest


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Fast password hashing. (Named apart from tests/conftest.py's `_media_in_tmp`, which it
    once shadowed, so that these tests wrote into the real MEDIA_ROOT.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def no_page_cache(settings):
    """For counting a view's own queries rather than a cache hit."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
