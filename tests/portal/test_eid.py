"""Citizens' sign-in with the national eID, against the local provider as a real process
(tests/eid_support.py): the portal's side through Django's test client, the person's side at
the provider through `requests`. Nothing here is mocked."""

import base64
import hashlib

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages

from portal.eid import SESSION_ID_TOKEN, SESSION_LEVEL, SESSION_PENDING_LINK
from portal.models import User
from tests.eid_support import AN, BINH_LEVEL_1, KHOA, MAI, callback_path, query
from tests.factories import PASSWORD, CitizenFactory, OfficerFactory, UserFactory

pytestmark = pytest.mark.django_db


def start(client, next_url: str = "") -> str:
    """The portal's start: the provider's authorization URL it redirects to."""
    response = client.get("/account/eid/login/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def sign_in(client, provider, citizen_id, browser=None):
    """Start, sign in at the provider, and come back: the portal's answer to the callback."""
    location = provider.sign_in(start(client), citizen_id, browser=browser)
    assert location.startswith("http://testserver/account/eid/callback/?")
    return client.get(callback_path(location))


@pytest.fixture(autouse=True)
def _pages_in_english(client):
    """The pages these tests read, in English (Vietnamese is the default language)."""
    client.cookies["dvc_language"] = "en"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def signed_in_user(client) -> User | None:
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


# --- off -------------------------------------------------------------------------------------


def test_off_the_login_page_offers_no_eid_and_its_pages_are_404(client):
    page = client.get("/account/login/").content.decode()
    assert "/account/eid/login/" not in page
    assert "VNeID" not in page
    for path in (
        "/account/eid/login/",
        "/account/eid/callback/?code=x&state=y",
        "/account/eid/link/",
    ):
        assert client.get(path).status_code == 404


def test_on_the_login_page_offers_vneid_first(client, eid):
    # English: the Vietnamese catalogue gets this text from notes/eid.tsv when it is merged.
    client.cookies["dvc_language"] = "en"
    page = client.get("/account/login/?next=/dossiers/").content.decode()
    assert "Sign in with your electronic identity account (VNeID)" in page
    assert 'href="/account/eid/login/?next=/dossiers/"' in page
    assert page.index('id="eid-sign-in"') < page.index('name="password"')


# --- the flow --------------------------------------------------------------------------------


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(client, eid):
    params = query(start(client))
    assert params["response_type"] == "code"
    assert params["client_id"] == "dvc-portal-test"
    assert params["redirect_uri"] == "http://testserver/account/eid/callback/"
    assert set(params["scope"].split()) == {"openid", "profile"}
    assert params["code_challenge_method"] == "S256"
    kept = client.session["oidc_states"][params["state"]]
    assert kept["nonce"] == params["nonce"]
    digest = hashlib.sha256(kept["code_verifier"].encode()).digest()
    assert params["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_the_provider_refuses_the_code_without_its_pkce_verifier(client, eid):
    """PKCE is really enforced: the code alone, even with the client's secret, gets no token."""
    location = eid.sign_in(start(client), KHOA)
    answer = requests.post(
        f"{eid.issuer}/token/",
        data={
            "grant_type": "authorization_code",
            "code": query(location)["code"],
            "redirect_uri": "http://testserver/account/eid/callback/",
            "client_id": "dvc-portal-test",
            "client_secret": "test-eid-client-secret-0123456789",
        },
        timeout=10,
    )
    assert answer.status_code == 400
    assert "id_token" not in answer.text


def test_a_new_citizen_gets_an_account_with_the_id_number_and_level(client, eid):
    response = sign_in(client, eid, KHOA)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(citizen_id=KHOA)
    assert signed_in_user(client) == user
    assert user.full_name == "Lê Minh Khoa"
    assert user.eid_level == "2"
    assert user.eid_subject
    assert user.eid_verified_at is not None
    assert not user.has_usable_password()
    assert not user.is_staff_account
    assert user.email.endswith("@eid.invalid")
    assert client.session[SESSION_LEVEL] == "2"
    assert client.session[SESSION_ID_TOKEN].count(".") == 2


def test_the_same_identity_reaches_the_same_account_and_next_is_kept(client, eid):
    sign_in(client, eid, KHOA)
    first = signed_in_user(client)
    client.logout()
    location = eid.sign_in(start(client, next_url="/dossiers/"), KHOA)
    response = client.get(callback_path(location))
    assert response["Location"] == "/dossiers/"
    assert signed_in_user(client) == first
    assert User.objects.filter(citizen_id=KHOA).count() == 1


def test_an_existing_password_account_is_linked_only_after_its_password(client, eid, english):
    owner = CitizenFactory(citizen_id=AN, email="an@example.vn", full_name="Nguyen Van An")
    response = sign_in(client, eid, AN)
    assert response["Location"] == "/account/eid/link/"
    assert signed_in_user(client) is None

    page = client.get("/account/eid/link/")
    assert "An account with this citizen ID exists: enter its password to link it." in (
        page.content.decode()
    )
    assert "a•••@example.vn" in page.content.decode()
    # No session for the account until its password is typed.
    assert client.get("/dossiers/").status_code == 302

    wrong = client.post("/account/eid/link/", {"password": "not-the-password"})
    assert wrong.status_code == 200
    assert "The password is not correct." in wrong.content.decode()
    owner.refresh_from_db()
    assert owner.eid_subject is None
    assert signed_in_user(client) is None

    right = client.post("/account/eid/link/", {"password": PASSWORD})
    assert right.status_code == 302
    owner.refresh_from_db()
    assert signed_in_user(client) == owner
    assert owner.eid_subject and owner.eid_level == "2"
    assert owner.full_name == "Nguyễn Văn An"  # the national registry's spelling
    assert owner.check_password(PASSWORD)  # the password still works for its owner
    assert SESSION_PENDING_LINK not in client.session
    assert User.objects.count() == 1

    # Linked: the next eID sign-in goes straight in.
    client.logout()
    sign_in(client, eid, AN)
    assert signed_in_user(client) == owner


def test_wrong_passwords_refuse_linking_and_change_nothing(client, eid, english):
    owner = CitizenFactory(citizen_id=AN)
    before = User.objects.count()
    sign_in(client, eid, AN)
    for _ in range(4):
        assert client.post("/account/eid/link/", {"password": "wrong"}).status_code == 200
    last = client.post("/account/eid/link/", {"password": "wrong"})
    assert last["Location"] == "/account/login/"
    assert "Too many wrong passwords" in messages_of(last)[0]
    # The identity must come back from the provider: the right password is now too late.
    late = client.post("/account/eid/link/", {"password": PASSWORD})
    assert late["Location"] == "/account/login/"
    owner.refresh_from_db()
    assert owner.eid_subject is None and owner.eid_level == ""
    assert signed_in_user(client) is None
    assert User.objects.count() == before


def test_cancelling_the_link_opens_no_session(client, eid, english):
    owner = CitizenFactory(citizen_id=AN)
    sign_in(client, eid, AN)
    response = client.post("/account/eid/link/", {"cancel": "1"})
    assert response["Location"] == "/account/login/"
    assert signed_in_user(client) is None
    owner.refresh_from_db()
    assert owner.eid_subject is None


@pytest.mark.parametrize(
    "make_staff",
    [
        lambda: OfficerFactory(citizen_id=MAI),
        lambda: UserFactory(citizen_id=MAI, is_staff=True),
        lambda: UserFactory(citizen_id=MAI, is_superuser=True, is_staff=True),
    ],
    ids=["officer", "admin-site", "superuser"],
)
def test_staff_are_refused(client, eid, english, make_staff):
    staff = make_staff()
    response = sign_in(client, eid, MAI)
    assert response["Location"] == "/account/login/"
    assert messages_of(response) == [
        "Agency and site staff cannot sign in with the national eID. Sign in with your staff "
        "email address and password."
    ]
    assert signed_in_user(client) is None
    staff.refresh_from_db()
    assert staff.eid_subject is None
    assert User.objects.count() == 1


def test_a_level_below_the_minimum_is_refused(client, eid, english):
    response = sign_in(client, eid, BINH_LEVEL_1)
    assert "is at level 1; public services need level 2" in messages_of(response)[0]
    assert not User.objects.filter(citizen_id=BINH_LEVEL_1).exists()
    assert signed_in_user(client) is None


def test_missing_claims_are_refused_and_nothing_is_created(client, eid, english, settings):
    # Without the profile scope the provider sends neither the name nor the citizen ID.
    settings.EID_OIDC_SCOPES = "openid"
    client.cookies["dvc_language"] = "en"  # the request's language names what is missing
    response = sign_in(client, eid, KHOA)
    assert messages_of(response) == [
        "The national eID service did not send your citizen ID number, full name, so you "
        "cannot be signed in. Please try again, or contact the portal's support."
    ]
    assert User.objects.count() == 0


def test_a_state_mismatch_is_refused(client, eid, english):
    location = eid.sign_in(start(client), KHOA)
    tampered = callback_path(location).replace("state=", "state=x")
    response = client.get(tampered)
    assert response["Location"] == "/account/login/"
    assert messages_of(response)[0].startswith("This sign-in could not be verified")
    assert User.objects.count() == 0
    assert signed_in_user(client) is None


def test_a_return_is_used_once(client, eid, english):
    location = eid.sign_in(start(client), KHOA)
    assert client.get(callback_path(location))["Location"] == "/"
    client.logout()
    client.cookies["dvc_language"] = "en"  # (logging out cleared the cookies)
    replay = client.get(callback_path(location))
    assert messages_of(replay)[0].startswith("This sign-in could not be verified")
    assert signed_in_user(client) is None


def test_a_provider_error_is_explained(client, eid, english):
    state = query(start(client))["state"]
    cancelled = client.get(f"/account/eid/callback/?error=access_denied&state={state}")
    assert messages_of(cancelled) == ["The sign-in with VNeID was cancelled."]
    state = query(start(client))["state"]
    other = client.get(f"/account/eid/callback/?error=<script>&state={state}")
    assert "(error: invalid)" in messages_of(other)[-1]
    assert User.objects.count() == 0


def test_a_provider_down_is_explained(client, eid, english, settings):
    settings.EID_OIDC_ISSUER = "http://127.0.0.1:9/o"  # nothing listens on the discard port
    response = client.get("/account/eid/login/")
    assert response["Location"] == "/account/login/"
    assert messages_of(response)[0].startswith("The national eID service cannot be reached")


def test_signing_out_ends_the_provider_session_too(client, eid):
    browser = requests.Session()  # the person's browser at the provider
    sign_in(client, eid, KHOA, browser=browser)
    id_token = client.session[SESSION_ID_TOKEN]

    response = client.post("/account/logout/")
    assert signed_in_user(client) is None
    params = query(response["Location"])
    assert response["Location"].startswith(f"{eid.issuer}/logout/?")
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == "http://testserver/"
    back = browser.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    assert back.headers["Location"] == "http://testserver/"

    # The provider asks for the credentials again.
    again = browser.get(start(client), allow_redirects=True, timeout=10)
    assert 'id="login-form"' in again.text


def test_a_password_sign_in_logs_out_locally_only(client, eid):
    citizen = CitizenFactory()
    client.force_login(citizen)
    response = client.post("/account/logout/")
    assert response["Location"] == "/"


# --- PASSWORD_LOGIN_CITIZENS ------------------------------------------------------------------


def test_without_password_login_for_citizens_staff_still_sign_in(client, eid, settings, english):
    settings.PASSWORD_LOGIN_CITIZENS = False
    citizen = CitizenFactory(email="dan@example.vn")
    officer = OfficerFactory(email="canbo@example.vn")

    refused = client.post("/account/login/", {"username": citizen.email, "password": PASSWORD})
    assert refused.status_code == 200
    assert "use the VNeID button above" in refused.content.decode()
    assert "Agency staff: sign in with your email and password" in refused.content.decode()
    assert signed_in_user(client) is None

    accepted = client.post("/account/login/", {"username": officer.email, "password": PASSWORD})
    assert accepted.status_code == 302
    assert signed_in_user(client) == officer

    client.logout()
    assert client.get("/account/register/")["Location"] == "/account/login/"


def test_with_password_login_for_citizens_they_sign_in(client, eid):
    citizen = CitizenFactory(email="dan@example.vn")
    response = client.post("/account/login/", {"username": citizen.email, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user(client) == citizen
