import pytest
from django.core.cache import cache
from django.utils import translation

from tests.factories import AgencyFactory, OfficerFactory, UserFactory


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Form templates are written to a throw-away MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Public pages are cached per data generation, which is bumped on commit; test transactions
    never commit, so a page cached by one test would be served to the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def no_page_cache(settings):
    """For counting a view's own queries rather than a cache hit."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture
def english():
    """Messages in English (Vietnamese is the default) for assertions on their text."""
    with translation.override("en"):
        yield


@pytest.fixture
def agency():
    return AgencyFactory(code="000.00.12.H26", name="Sở Giáo dục và Đào tạo Hà Nội")


@pytest.fixture
def other_agency():
    return AgencyFactory(code="000.00.31.H29", name="Sở Giáo dục và Đào tạo Hải Phòng")


@pytest.fixture
def agency_admin(agency):
    return OfficerFactory(
        email="quantri@so-hn.example.vn", agency=agency, roles=["agency_admin"], is_staff=True
    )


@pytest.fixture
def other_admin(other_agency):
    return OfficerFactory(
        email="quantri@so-hp.example.vn",
        agency=other_agency,
        roles=["agency_admin"],
        is_staff=True,
    )


@pytest.fixture
def superuser():
    return UserFactory(email="root@example.vn", is_staff=True, is_superuser=True)
