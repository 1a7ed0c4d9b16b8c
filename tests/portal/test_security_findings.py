"""Identity and access (issue 18): the findings of the attack on landed main, each with the test
that failed there. Limits are keyed on the portal's own client address (portal.ratelimit.
client_ip), never on a header the client chooses; a body nested 5,000 levels deep is a 400;
/healthz gives its detail to the internal network and staff only."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from submissions.models import Dossier
from tests.factories import CitizenFactory, DossierFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


@pytest.mark.parametrize(
    ("url", "rate", "body"),
    [
        ("/api/v1/auth/token/", "auth", {"email": "x@example.vn", "password": "wrong"}),
        ("/api/v1/verify/", "anon", {}),
    ],
)
def test_a_forged_x_forwarded_for_does_not_reset_an_anonymous_limit(settings, url, rate, body):
    _rates(settings, **{rate: "3/min"})
    cache.clear()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    statuses = [
        client.post(url, body, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(5)
    ]
    assert statuses[:3] != [429] * 3 and statuses[3:] == [429, 429], statuses
    # Another real address has its own count.
    other = client.post(url, body, REMOTE_ADDR="203.0.113.9").status_code
    assert other != 429


def test_behind_the_portals_own_proxy_the_configured_header_is_the_address(settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    _rates(settings, auth="2/min")
    cache.clear()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    body = {"email": "x@example.vn", "password": "wrong"}
    for _ in range(2):
        client.post("/api/v1/auth/token/", body, HTTP_X_REAL_IP="203.0.113.1")
    assert client.post("/api/v1/auth/token/", body, HTTP_X_REAL_IP="203.0.113.1").status_code == 429
    assert client.post("/api/v1/auth/token/", body, HTTP_X_REAL_IP="203.0.113.2").status_code != 429


def test_a_deeply_nested_json_body_is_a_400_and_changes_nothing():
    citizen = CitizenFactory()
    dossier = DossierFactory(applicant=citizen, version=ProcedureVersionFactory(published=True))
    before = Dossier.objects.filter(pk=dossier.pk).values().get()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(citizen)
    for depth in (5000, 100):
        body = "[" * depth + "]" * depth
        response = client.generic(
            "PATCH", f"/api/v1/dossiers/{dossier.public_id}/", '{"answers": ' + body + "}",
            content_type="application/json",
        )  # fmt: skip
        assert response.status_code == 400, (depth, response.content[:200])
        assert "nested too deeply" in response.json()["detail"]
    assert Dossier.objects.filter(pk=dossier.pk).values().get() == before


def test_healthz_gives_its_detail_to_the_internal_network_only(client, django_user_model):
    inside = client.get("/healthz").json()  # the test client comes from 127.0.0.1
    assert inside["checks"]["database"]["engine"]
    outside = client.get("/healthz", REMOTE_ADDR="203.0.113.7")
    assert outside.status_code == 200
    assert outside.json() == {"status": "ok"}
    assert "engine" not in outside.content.decode() and "redis" not in outside.content.decode()


# --- password guessing (finding 1, item 3) ---------------------------------------------------

PASSWORD = "Mật-khẩu-đúng-2026"


@pytest.fixture
def account(django_user_model):
    return CitizenFactory(email="nan@example.vn", password=PASSWORD, language="en")


def _login(client, email, password, **extra):
    return client.post("/account/login/", {"username": email, "password": password}, **extra)


def test_ten_wrong_passwords_lock_the_account_with_a_clear_message_even_with_the_right_one(
    client, account
):
    for _ in range(9):
        assert _login(client, account.email, "wrong").status_code == 200  # the form again
    assert _login(client, account.email, "wrong").status_code == 429  # the tenth locks
    locked = _login(client, account.email, PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    vi = _login(client, account.email, PASSWORD, HTTP_ACCEPT_LANGUAGE="vi")
    assert "Nhập sai mật khẩu quá nhiều lần" in vi.content.decode()


def test_the_account_is_locked_from_every_address_and_the_address_for_every_account(
    client, account
):
    for n in range(10):  # the same account, from ten addresses (a forged header changes nothing)
        _login(client, account.email, "wrong", REMOTE_ADDR=f"203.0.113.{n}")
    assert _login(client, account.email, PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 429
    other = CitizenFactory(email="khac@example.vn", password=PASSWORD)
    for n in range(10):  # one address, ten accounts
        _login(client, f"x{n}@example.vn", "wrong", REMOTE_ADDR="198.51.100.50",
               HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")  # fmt: skip
    assert _login(client, other.email, PASSWORD, REMOTE_ADDR="198.51.100.50").status_code == 429
    assert _login(client, other.email, PASSWORD, REMOTE_ADDR="198.51.100.51").status_code == 302


def test_the_token_api_and_the_admin_login_count_too(client, account, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "1000/min",
        },
    }  # fmt: skip
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(9):
        wrong = api.post("/api/v1/auth/token/", {"email": account.email, "password": "x"})
        assert wrong.status_code == 400
    api.post("/api/v1/auth/token/", {"email": account.email, "password": "x"})
    locked = api.post("/api/v1/auth/token/", {"email": account.email, "password": PASSWORD})
    assert locked.status_code == 429 and "Too many wrong passwords" in locked.json()["detail"]
    # The admin's login page shares the count: this address is locked there too.
    admin = client.post("/admin/login/", {"username": "a@example.vn", "password": "x"})
    assert admin.status_code == 429


def test_the_password_change_counts_the_current_password(client, account):
    client.force_login(account)
    wrong = {"old_password": "wrong", "new_password1": "Mới-2026-abc!",
             "new_password2": "Mới-2026-abc!"}  # fmt: skip
    for _ in range(9):
        assert client.post("/account/password/change/", wrong).status_code == 200
    assert client.post("/account/password/change/", wrong).status_code == 429  # the tenth
    locked = client.post(
        "/account/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Mới-2026-abc!",
            "new_password2": "Mới-2026-abc!",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Too many wrong passwords" in locked.content.decode()
    account.refresh_from_db()
    assert account.check_password(PASSWORD)


def test_an_administrator_unlocks_an_account(client, account):
    from django.core.management import call_command

    for _ in range(10):
        _login(client, account.email, "wrong", REMOTE_ADDR=f"203.0.113.{_}")
    assert _login(client, account.email, PASSWORD, REMOTE_ADDR="198.51.100.9").status_code == 429
    call_command("axes_reset_username", account.email)
    assert _login(client, account.email, PASSWORD, REMOTE_ADDR="198.51.100.9").status_code == 302


# --- headers (finding 7, item 5) ---------------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


@pytest.mark.parametrize("url", ["/", "/account/login/", "/verify/", "/api/docs/", "/admin/login/"])
def test_every_html_page_has_a_content_security_policy_without_inline_script(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'self'"]
    # And nothing on the page needs one: no inline script element, no inline event handler.
    import re

    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), url
    assert not re.search(r"\son(click|load|submit|change)=", html), url


def test_the_api_docs_start_swagger_from_a_script_file(client):
    page = client.get("/api/docs/").content.decode()
    import re

    sources = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert any("script" in src or "swagger-ui" in src for src in sources)
    started = client.get(next(s for s in sources if "?script" in s or "script=" in s))
    assert started.status_code == 200 and "SwaggerUIBundle" in started.content.decode()


def test_files_and_json_carry_no_policy(client):
    assert "Content-Security-Policy" not in client.get("/healthz").headers


# --- development mode on a real server (finding 4) ----------------------------------------------


def test_development_mode_answers_this_machine_only(client, settings):
    from tests.conftest import DEV_GUARD

    settings.MIDDLEWARE = [DEV_GUARD, *settings.MIDDLEWARE]  # (the other tests run without)
    settings.DEV_ALLOW_REMOTE = False
    assert client.get("/").status_code == 200  # 127.0.0.1
    remote = client.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert remote.status_code == 403
    assert "development mode" in remote.content.decode()
    assert client.get("/", REMOTE_ADDR="::1").status_code == 200
    settings.DEV_ALLOW_REMOTE = True  # said explicitly
    assert client.get("/", REMOTE_ADDR="203.0.113.5").status_code == 200
    settings.DEV_ALLOW_REMOTE, settings.PRODUCTION = False, True  # production: no such guard
    assert client.get("/", REMOTE_ADDR="203.0.113.5").status_code != 403


@pytest.mark.parametrize("address", ["0.0.0.0:8123", "192.0.2.10:8123", "[::]:8123"])
def test_runserver_refuses_another_address_in_development_mode(settings, address):
    import subprocess
    import sys

    from django.conf import settings as django_settings

    done = subprocess.run(
        [sys.executable, "manage.py", "runserver", address, "--noreload", "--skip-checks"],
        capture_output=True, text=True, timeout=60, cwd=django_settings.BASE_DIR,
        env={**__import__("os").environ, "PORTAL_ENV": "development", "PORTAL_DEV_ALLOW_REMOTE": "",
             "DATABASE_URL": "sqlite:///:memory:"},
    )  # fmt: skip
    assert done.returncode != 0
    assert "development mode" in done.stderr and "Refused to serve" in done.stderr


def test_gunicorn_refuses_to_bind_another_address_in_development_mode(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
         "portal.wsgi:application"],
        capture_output=True, text=True, timeout=60, cwd=root,
        env={**os.environ, "PORTAL_ENV": "development", "PORTAL_DEV_ALLOW_REMOTE": "",
             "GUNICORN_BIND": "0.0.0.0:8124", "DATABASE_URL": "sqlite:///:memory:"},
    )  # fmt: skip
    assert done.returncode != 0
    assert "development mode" in done.stderr + done.stdout


# --- sessions and tokens (finding 6, item 4) ----------------------------------------------------


def test_a_staff_session_ends_after_its_idle_time_and_with_the_day(client, settings):
    from portal import sessions
    from tests.factories import OfficerFactory

    settings.STAFF_IDLE_MINUTES = 30
    officer = OfficerFactory(language="en")
    client.force_login(officer)
    assert client.get("/account/profile/").status_code == 200
    session = client.session
    session[sessions.LAST_SEEN] -= 31 * 60
    session.save()
    ended = client.get("/account/profile/", follow=True)
    assert "/account/login/" in ended.redirect_chain[0][0]
    assert "after 30 minutes without activity" in ended.content.decode()
    assert "_auth_user_id" not in client.session

    client.force_login(officer)
    session = client.session
    session[sessions.SIGNED_IN_ON] = "2000-01-01"
    session.save()
    ended = client.get("/account/profile/", follow=True)
    assert "lasts until the end of the day" in ended.content.decode()


def test_a_citizen_session_is_not_ended_by_idleness_and_lasts_hours_not_weeks(client, settings):
    from portal import sessions

    citizen = CitizenFactory(email="dan@example.vn", password=PASSWORD)
    assert (
        client.post(
            "/account/login/", {"username": citizen.email, "password": PASSWORD}
        ).status_code
        == 302
    )
    assert client.session.get_expiry_age() == settings.CITIZEN_SESSION_HOURS * 3600 < 14 * 86400
    session = client.session
    session[sessions.LAST_SEEN] -= 3 * 3600
    session.save()
    assert client.get("/account/profile/").status_code == 200


def test_an_api_token_expires_and_is_revoked_by_logout_password_change_and_delete(settings):
    import datetime as dt

    from django.test import Client
    from rest_framework.authtoken.models import Token

    settings.API_TOKEN_HOURS = 24
    user = CitizenFactory(email="tok@example.vn", password=PASSWORD, language="en")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")

    def new_token():
        answer = api.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD})
        assert answer.status_code == 200, answer.content
        return answer.json()

    issued = new_token()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued['token']}")
    info = api.get("/api/v1/auth/token/").json()
    assert info["expires_at"] == issued["expires_at"]
    assert api.get("/api/v1/me/").status_code == 200
    # A day later it is refused, and gone.
    Token.objects.filter(key=issued["token"]).update(
        created=Token.objects.get(key=issued["token"]).created - dt.timedelta(hours=25)
    )
    expired = api.get("/api/v1/me/")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert not Token.objects.filter(key=issued["token"]).exists()
    # DELETE revokes the token the request carries.
    api.credentials(HTTP_AUTHORIZATION=f"Token {new_token()['token']}")
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401
    # A password change revokes it.
    api.credentials(HTTP_AUTHORIZATION=f"Token {new_token()['token']}")
    user.set_password("Mật-khẩu-mới-2026!")
    user.save()
    assert api.get("/api/v1/me/").status_code == 401
    # Signing out of the site revokes it too (sign out everywhere).
    user.set_password(PASSWORD)
    user.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {new_token()['token']}")
    browser = Client()
    browser.force_login(user)
    browser.post("/account/logout/")
    assert api.get("/api/v1/me/").status_code == 401


def test_forms_may_lead_to_the_eid_provider_and_the_payment_gateway_only(client, settings):
    settings.EID_OIDC_ISSUER = "https://sso.example.gov.vn/o"
    settings.EID_OIDC_END_SESSION_ENDPOINT = "https://sso.example.gov.vn/o/logout/"
    settings.VNPAY_PAYMENT_URL = "https://pay.example.vn/paymentv2/vpcpay.html"
    policy = _csp(client.get("/account/login/"))
    assert policy["form-action"] == [
        "'self'", "https://pay.example.vn", "https://sso.example.gov.vn",
    ]  # fmt: skip


# --- registration (finding 5, in part) ----------------------------------------------------------


def test_registration_attempts_are_limited_per_address(client, settings):
    settings.REGISTRATIONS_PER_HOUR = 3
    cache.clear()
    CitizenFactory(email="co@example.vn")
    data = {"full_name": "Thử", "email": "co@example.vn", "password1": "x", "password2": "x"}
    for _ in range(3):
        assert client.post("/account/register/", data, REMOTE_ADDR="203.0.113.8").status_code == 200
    limited = client.post(
        "/account/register/", data, REMOTE_ADDR="203.0.113.8", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert limited.status_code == 429
    assert "Too many registration attempts" in limited.content.decode()
    # The form comes back as typed; another address is not limited.
    assert 'value="co@example.vn"' in limited.content.decode()
    assert client.post("/account/register/", data, REMOTE_ADDR="203.0.113.9").status_code == 200
