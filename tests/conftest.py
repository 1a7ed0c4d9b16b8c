import os

import pytest

# The local national eID provider as a process of its own: the `eid_provider` and `eid` fixtures.
pytest_plugins = ["tests.eid_support"]

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run in a
# thread with a running loop unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Demo certificates without revocation pointers unless a test asks for them (tests/signing's
# `ltv_pki`): nothing answers at the development default. Set here too for the processes the
# integration and browser tests start (a worker making the demo PKI); `_demo_pki_in_tmp` sets it
# in this process, whose settings were read before this module.
os.environ["SIGNING_DEMO_PKI_URL"] = ""
os.environ["SIGNING_TSA_URL"] = ""  # whose development default is the demo PKI's
# Development mode's loopback-only guard (portal.devserver), left out of the tests' middleware.
DEV_GUARD = "portal.middleware.DevelopmentLoopbackMiddleware"
# The national eID sign-in off unless a test turns it on (the `eid` fixture, tests/eid_support.py,
# with a real provider process): nothing answers at the development default either.
os.environ["EID_OIDC_ISSUER"] = ""
os.environ["EID_OIDC_CLIENT_ID"] = ""
os.environ["PASSWORD_LOGIN_CITIZENS"] = "true"


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    """Settings every test runs under, set once per session (and per xdist worker):
    - a fast password hasher: the default PBKDF2 work factor costs ~0.5 s a hash and tests make
      users by the dozen; what they test is not the hasher;
    - the office hours that deadline expectations are computed from, whatever the environment
      says (TIME_ZONE is fixed in portal/settings.py; these two are read from the environment)."""
    from django.test import override_settings

    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        OFFICE_HOURS=["07:30-11:30", "13:00-17:00"],
        SAME_DAY_CUTOFF="15:00",
    ):
        yield


@pytest.fixture(autouse=True, scope="session")
def _softhsm_in_tmp(tmp_path_factory):
    """The leaders' SoftHSM2 tokens made by tests live in the session's own folder (SoftHSM2
    reads SOFTHSM2_CONF once per process, when the PKCS#11 module is first loaded)."""
    from django.test import override_settings

    from signing import pkcs11lib

    os.environ.pop("SOFTHSM2_CONF", None)
    with override_settings(SIGNING_SOFTHSM_DIR=tmp_path_factory.mktemp("softhsm")):
        pkcs11lib.ensure_softhsm_config()
    yield


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty in-process cache: cached pages and counters from one test
    must not leak into the next (their transactions roll back, so no generation is bumped)."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded and generated files go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _demo_pki_in_tmp(settings, tmp_path):
    """`seed_demo` makes a demo PKI; in tests it lives in the test's own folder, and its
    certificates point to no CRL or OCSP responder (tests/signing's `ltv_pki` starts one)."""
    settings.SIGNING_DEMO_PKI_DIR = tmp_path / "pki"
    settings.SIGNING_DEMO_PKI_URL = ""
    settings.SIGNING_TSA_URL = ""
    # Tests play clients from other addresses (REMOTE_ADDR): development mode's loopback-only
    # guard (portal.devserver) is tested on its own, in tests/portal/test_security_findings.py.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != DEV_GUARD]
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "pki" / "demo-root.pem")]


@pytest.fixture(autouse=True)
def _eid_off(settings):
    """The national eID sign-in off, and citizens' passwords on (this process read its settings
    before this module set the environment)."""
    settings.EID_OIDC_ISSUER = ""
    settings.EID_OIDC_CLIENT_ID = ""
    settings.PASSWORD_LOGIN_CITIZENS = True


@pytest.fixture(autouse=True)
def _eager_celery_in_process(settings):
    """Unit tests run tasks in-process; tests/integration starts a real worker instead.

    An eager task sets Celery's process-wide "joining a result would block" flag while it runs
    and then puts back the value it found, so eager tasks in several threads at once (the
    concurrency tests) can leave it set; every later `result.get()` in this process (the
    integration tests) would then raise "Never call result.get() within a task!". It is put back
    after each test."""
    from celery import _state as celery_state

    from portal.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    join_will_block = celery_state.task_join_will_block()
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
    celery_state._set_task_join_will_block(join_will_block)


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped (or expected-to-fail) test fails the run: nothing may be silently off."""
    if os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
        return
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller receives every worker's reports and decides
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", []) + reporter.stats.get("xfailed", [])
    if skipped:
        reporter.write_line(
            f"CI=true: {len(skipped)} test(s) skipped or xfailed; that fails the run.", red=True
        )
        session.exitstatus = 1


# --- shared people and agencies ------------------------------------------------------------------


@pytest.fixture
def client():
    """pytest-django's client, whose force_login passes a staff member's second factor too
    (tests.factories.StaffClient); `force_login(user, second_factor=False)` does not."""
    from tests.factories import StaffClient

    return StaffClient()


@pytest.fixture
def english():
    """Messages in English (Vietnamese is the default) for assertions on their text."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def agency():
    from tests.factories import AgencyFactory

    return AgencyFactory(code="000.00.12.H26", name="Sở Giáo dục và Đào tạo Hà Nội")


@pytest.fixture
def other_agency():
    from tests.factories import AgencyFactory

    return AgencyFactory(code="000.00.31.H29", name="Sở Giáo dục và Đào tạo Hải Phòng")


@pytest.fixture
def agency_admin(agency):
    from tests.factories import OfficerFactory

    return OfficerFactory(
        email="quantri@so-hn.example.vn", agency=agency, roles=["agency_admin"], is_staff=True
    )


@pytest.fixture
def other_admin(other_agency):
    from tests.factories import OfficerFactory

    return OfficerFactory(
        email="quantri@so-hp.example.vn", agency=other_agency, roles=["agency_admin"], is_staff=True
    )


@pytest.fixture
def superuser():
    from tests.factories import UserFactory

    return UserFactory(email="root@example.vn", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _reviewed_calendar(request):
    """The reviewed national calendars (portal/calendar/*.json), as the data migration loads
    them, for every test that uses the database: a transactional test's flush removes them."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        return
    transactional = bool(names & {"transactional_db", "live_server"}) or bool(
        marker and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from portal import calendar_files
    from portal.models import CalendarDay, CalendarYear

    if not CalendarYear.objects.exists():
        calendar_files.load_shipped(day_model=CalendarDay, year_model=CalendarYear)


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English leaves English active in this thread: start each test, and end it,
    in the default language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
