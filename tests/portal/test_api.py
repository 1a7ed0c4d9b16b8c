import re

import pytest
import yaml
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD, OfficerFactory, TOTPDeviceFactory, UserFactory, totp_code

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


@pytest.fixture
def api():
    return APIClient()


def test_token_for_right_credentials_authenticates_me(api):
    officer = OfficerFactory(
        email="motcua@so.example.vn",
        full_name="Trần Thị Bình",
        roles=["specialist", "desk"],
        agency__code="000.00.12.H26",
    )
    device = TOTPDeviceFactory(user=officer)  # staff: the code of their app too
    response = api.post(
        TOKEN_URL,
        {"email": "MotCua@So.Example.vn", "password": PASSWORD, "otp": totp_code(device)},
        format="json",
    )
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=officer).key == key

    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = me.get(ME_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "motcua@so.example.vn"
    assert body["full_name"] == "Trần Thị Bình"
    assert body["roles"] == ["desk", "specialist"]
    assert body["agency"] == "000.00.12.H26"
    assert "password" not in body


def test_token_is_reused_for_the_same_user(api):
    UserFactory(email="an@example.vn")
    first = api.post(TOKEN_URL, {"email": "an@example.vn", "password": PASSWORD}).json()["token"]
    second = api.post(TOKEN_URL, {"email": "an@example.vn", "password": PASSWORD}).json()["token"]
    assert first == second
    assert Token.objects.count() == 1


def test_me_for_a_citizen_has_no_agency_or_roles(api):
    user = UserFactory(citizen_id="001090012345")
    api.force_authenticate(user)
    body = api.get(ME_URL).json()
    assert body["agency"] is None
    assert body["roles"] == []
    assert body["citizen_id"] == "001090012345"


def test_me_accepts_a_session_login(client):
    user = UserFactory(email="an@example.vn")
    client.force_login(user)
    response = client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["email"] == "an@example.vn"


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "an@example.vn", "password": PASSWORD + "x"},
        {"email": "nobody@example.vn", "password": PASSWORD},
        {"email": "an@example.vn", "password": " " + PASSWORD},  # not trimmed
    ],
)
def test_wrong_credentials_give_400_and_no_token(api, credentials):
    UserFactory(email="an@example.vn")
    response = api.post(TOKEN_URL, credentials, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert Token.objects.count() == 0


def test_wrong_password_message_in_english(api):
    UserFactory(email="an@example.vn")
    response = api.post(
        TOKEN_URL,
        {"email": "an@example.vn", "password": "nope"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json() == {"detail": "Wrong email or password."}


def test_inactive_user_gets_no_token(api):
    UserFactory(email="an@example.vn", is_active=False)
    response = api.post(TOKEN_URL, {"email": "an@example.vn", "password": PASSWORD})
    assert response.status_code == 400
    assert Token.objects.count() == 0


def test_malformed_token_request_gives_400(api):
    response = api.post(TOKEN_URL, {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}
    assert Token.objects.count() == 0


def test_token_endpoint_is_throttled(api):
    """Two limits stand: the address's rate (10 a minute, whatever the account) and the
    account's lockout after 10 wrong passwords (django-axes, tests/portal/
    test_security_findings.py); either answers 429."""
    UserFactory(email="an@example.vn")
    statuses = [
        api.post(TOKEN_URL, {"email": "an@example.vn", "password": "guess"}).status_code
        for _ in range(11)
    ]
    assert statuses == [400] * 9 + [429, 429]
    # Even the right password is refused until the window passes.
    response = api.post(TOKEN_URL, {"email": "an@example.vn", "password": PASSWORD})
    assert response.status_code == 429
    assert Token.objects.count() == 0


def test_me_anonymous_is_refused(api):
    response = api.get(ME_URL)
    assert response.status_code in {401, 403}
    assert "email" not in response.json()


def test_me_with_a_bad_token_is_refused(api):
    UserFactory()
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = api.get(ME_URL)
    assert response.status_code in {401, 403}
    assert "email" not in response.json()


def test_token_of_a_deactivated_user_stops_working(api):
    user = UserFactory(email="an@example.vn")
    key = api.post(TOKEN_URL, {"email": "an@example.vn", "password": PASSWORD}).json()["token"]
    user.is_active = False
    user.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(ME_URL).status_code in {401, 403}


def test_openapi_schema_lists_me(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "dvc-portal API"
    assert "/api/v1/me/" in schema["paths"]
    assert "get" in schema["paths"]["/api/v1/me/"]
    assert "post" in schema["paths"]["/api/v1/auth/token/"]
    assert "UserOutput" in schema["components"]["schemas"]


def test_openapi_schema_as_json(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/me/" in response.json()["paths"]


def test_api_docs_use_only_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]*)"', html)
    assert assets, html
    for url in assets:
        # The site's static files, and Swagger UI's start-up script (no inline script: CSP).
        assert url.startswith("/static/") or url.startswith("/api/docs/?script"), url
    start = next(url for url in assets if url.startswith("/api/docs/?script"))
    assert "/api/schema/" in client.get(start).content.decode()  # it loads our schema
    # Nothing else on the page points off-site either (fonts, CDNs, @import).
    assert not re.search(r"https?://", html)
    assert "//cdn" not in html


def test_api_docs_assets_are_served(client):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r'<script\b[^>]*\bsrc="([^"]*)"', html)
    styles = re.findall(r'<link\b[^>]*rel="stylesheet"[^>]*href="([^"]*)"', html)
    assert scripts
    assert styles
    for url in scripts + styles:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()
