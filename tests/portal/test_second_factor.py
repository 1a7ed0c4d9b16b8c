"""The staff's second factor (issue 18): a staff session on the password alone reaches no
back-office page, admin page or staff API endpoint; with the second factor, the same ones as
before; enrolment, recovery codes, the token API, throttling, the administrators' reset.

The walks iterate over the URL configuration itself (the back-office's patterns, every admin
URL, the staff API's patterns), as tests/submissions/test_access.py does, so that an address
added later is walked too."""

import base64
import datetime as dt
import io
import re
from contextlib import suppress
from urllib.parse import urlencode

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import URLResolver, reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from office import actions as office_actions
from office import urls as office_url_conf
from portal import second_factor
from portal import urls as portal_urls
from portal.models import StaffSecurityEvent
from submissions.models import Dossier, DossierEvent
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
    StaffClient,
    TOTPDeviceFactory,
    UserFactory,
    totp_code,
)

pytestmark = pytest.mark.django_db

VERIFY = "/account/second-factor/"
SETUP = "/account/second-factor/setup/"
TOKEN = "/api/v1/auth/token/"
# Where the walks start from: 2026-03-02 09:00 in Hanoi, a Monday (codes are computed from it).
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@pytest.fixture
def officer(agency):
    return OfficerFactory(
        agency=agency, roles=["desk", "specialist", "leader"], language="en", is_staff=False
    )


@pytest.fixture
def dossier(officer, agency):
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    return DossierFactory(version=version, submitted=True)


# --- the walks -----------------------------------------------------------------------------------


def _sample(dossier, staff) -> dict:
    """A value for every keyword an address of the walks takes."""
    record = dossier.files.first()
    return {
        "public_id": dossier.public_id,
        "file_id": record.pk if record else 1,
        "number": 1,
        "component_id": 1,
        "object_id": staff.pk,
        "id": staff.pk,
        "pk": staff.pk,
        "app_label": "portal",
        "content_type_id": ContentType.objects.get_for_model(staff).pk,
    }


def _admin_rows(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _admin_rows(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def office_addresses(dossier, staff) -> list[str]:
    sample = _sample(dossier, staff)
    addresses = []
    for pattern in office_url_conf.urlpatterns:
        names = set(pattern.pattern.converters)
        kwargs = {name: sample[name] for name in names - {"action"}}
        for action in office_actions.ACTIONS if "action" in names else [None]:
            if action is not None:
                kwargs["action"] = action
            addresses.append(reverse(f"office:{pattern.name}", kwargs=kwargs))
    return addresses


def _an_object_of(route: str, staff) -> int:
    """The pk of an object of the model whose admin pages `route` is under (the staff member's
    own, if none: a missing object's pages answer as they answer)."""
    parts = route.split("/")
    if len(parts) > 2 and parts[0] and parts[1]:
        with suppress(LookupError):
            found = apps.get_model(parts[0], parts[1]).objects.order_by("pk").first()
            if found is not None:
                return found.pk
    return staff.pk


def admin_addresses(dossier, staff) -> list[str]:
    """Every URL of the admin site: each model's pages (django-otp's devices and the audit trail
    included), the index, each app's list, the login, password and catch-all views."""
    sample = _sample(dossier, staff)
    addresses = []
    for route, pattern in _admin_rows(admin.site.get_urls()):
        groups = sorted(pattern.pattern.regex.groupindex)
        if pattern.name:
            kwargs = {name: sample[name] for name in groups}
            for name in {"object_id", "pk"} & set(kwargs):
                kwargs[name] = _an_object_of(route, staff)
            addresses.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
        elif groups == ["object_id"]:  # the old change address, which redirects
            addresses.append(
                "/admin/" + route.replace("<path:object_id>", str(_an_object_of(route, staff)))
            )
        else:
            assert groups == ["url"], route  # the final catch-all
            addresses.append("/admin/no-such-page/")
    return addresses


def staff_api_addresses(dossier, staff) -> list[str]:
    sample = _sample(dossier, staff)
    addresses = []
    for pattern in portal_urls.office_api_patterns:
        names = set(pattern.pattern.converters)
        kwargs = {name: sample[name] for name in names - {"action"}}
        if "action" in names:
            kwargs["action"] = "accept"
        addresses.append(reverse(pattern.name, kwargs=kwargs))
    return addresses


def _refused_html(response, address) -> bool:
    return response.status_code == 302 and response["Location"] == (
        f"{VERIFY}?{urlencode({'next': address}, safe='/')}"
    )


def _refused_api(response) -> bool:
    return response.status_code == 403 and "second factor" in response.json()["detail"]


def _what_staff_may_change(dossier) -> tuple:
    fresh = Dossier.objects.get(pk=dossier.pk)
    return (
        fresh.state,
        fresh.assignee_id,
        DossierEvent.objects.count(),
        TOTPDevice.objects.count(),
        StaticDevice.objects.count(),
        StaffSecurityEvent.objects.count(),
    )


def test_the_walks_cover_the_staff_addresses(dossier, officer):
    office = office_addresses(dossier, officer)
    assert len(office) == len(office_url_conf.urlpatterns) - 1 + len(office_actions.ACTIONS)
    admin_pages = admin_addresses(dossier, officer)
    for needed in (
        "/admin/",
        "/admin/portal/user/",
        f"/admin/portal/user/{officer.pk}/change/",
        "/admin/portal/staffsecurityevent/",
        "/admin/otp_totp/totpdevice/",
        "/admin/otp_static/staticdevice/",
        "/admin/submissions/dossier/",
    ):
        assert needed in admin_pages
    assert len(admin_pages) > 100
    assert len(staff_api_addresses(dossier, officer)) == len(portal_urls.office_api_patterns)


@pytest.mark.parametrize("who", ["officer", "agency_admin", "superuser"])
def test_a_password_only_staff_session_reaches_no_staff_address(
    request, dossier, officer, agency_admin, superuser, who
):
    staff = {"officer": officer, "agency_admin": agency_admin, "superuser": superuser}[who]
    staff.language = "en"
    staff.save()
    client = StaffClient()
    client.force_login(staff, second_factor=False)
    before = _what_staff_may_change(dossier)
    wrong = []
    for address in office_addresses(dossier, staff) + admin_addresses(dossier, staff):
        for response in (client.get(address), client.post(address, {"note": "x"})):
            if not _refused_html(response, address):
                wrong.append(f"{response.request['REQUEST_METHOD']} {address}: {response}")
    for address in staff_api_addresses(dossier, staff):
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(client, method)(address, {}, content_type="application/json")
            if not _refused_api(response):
                wrong.append(f"{method.upper()} {address}: {response.status_code}")
    assert wrong == []
    assert _what_staff_may_change(dossier) == before


def _walk_gets(client, addresses) -> dict[str, int]:
    return {address: client.get(address).status_code for address in addresses}


@pytest.mark.parametrize("who", ["officer", "superuser"])
def test_with_the_second_factor_staff_reach_what_they_reached_before(
    settings, dossier, officer, superuser, who
):
    """The same answers, address by address, as with the requirement off (today's behaviour),
    so that the walk above is not passed by pages closed to everyone."""
    staff = {"officer": officer, "superuser": superuser}[who]
    TOTPDeviceFactory(user=staff)
    addresses = (
        office_addresses(dossier, staff)
        + admin_addresses(dossier, staff)
        + staff_api_addresses(dossier, staff)
    )
    settings.OTP_REQUIRED_FOR_STAFF = False
    before = StaffClient()
    before.force_login(staff, second_factor=False)
    expected = _walk_gets(before, addresses)
    settings.OTP_REQUIRED_FOR_STAFF = True
    verified = StaffClient()
    verified.force_login(staff)
    assert _walk_gets(verified, addresses) == expected
    opened = {address for address, status in expected.items() if status == 200}
    assert {  # the walk opens pages
        "officer": {
            "/office/",
            f"/office/dossiers/{dossier.public_id}/",
            "/api/v1/office/dossiers/",
        },
        "superuser": {"/admin/", "/admin/portal/user/", "/admin/otp_totp/totpdevice/"},
    }[who] <= opened


def test_the_admin_site_itself_wants_the_second_factor(rf, superuser):
    request = rf.get("/admin/")
    request.user = superuser
    superuser.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    superuser.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_an_api_token_is_not_refused_for_the_session_beside_it(dossier, officer):
    """A request with a token is the token's (which a code issued), not the session's."""
    client = StaffClient()
    client.force_login(officer, second_factor=False)
    key = Token.objects.create(user=officer).key
    response = client.get(reverse("api-office-dossiers"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    response = client.get(reverse("api-office-dossiers"), HTTP_AUTHORIZATION="Token wrong")
    assert response.status_code == 401
    response = client.get(reverse("api-office-dossiers"), HTTP_AUTHORIZATION="Basic eDp5")
    assert _refused_api(response)


def test_citizens_are_unaffected(client):
    citizen = CitizenFactory()
    client.force_login(citizen, second_factor=False)
    for address in ("/", "/dossiers/", "/account/profile/", "/api/v1/me/", "/api/v1/dossiers/"):
        assert client.get(address).status_code == 200, address
    # The second-factor pages send a citizen on, and make nothing.
    assert client.get(f"{VERIFY}?next=/dossiers/")["Location"] == "/dossiers/"
    assert client.get(SETUP)["Location"] == "/"
    assert not TOTPDevice.objects.exists()
    # Their token needs no code.
    response = APIClient().post(TOKEN, {"email": citizen.email, "password": PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


def test_the_requirement_can_be_off(settings, client, dossier, officer):
    settings.OTP_REQUIRED_FOR_STAFF = False
    client.force_login(officer, second_factor=False)
    assert client.get("/office/").status_code == 200
    response = APIClient().post(TOKEN, {"email": officer.email, "password": PASSWORD})
    assert response.status_code == 200


# --- enrolment -----------------------------------------------------------------------------------


def _secret_on(page: str) -> bytes:
    secret = re.search(r'<code class="secret-key" id="totp-secret">([A-Z2-7 ]+)</code>', page)
    text = secret.group(1).replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def _code(key: bytes, steps: int = 0) -> str:
    return f"{totp(key, drift=steps):06d}"


def _log_in_with_password(client, user, next_="/office/"):
    response = client.post(
        f"/account/login/?next={next_}",
        {"username": user.email, "password": PASSWORD, "next": next_},
    )
    assert response.status_code == 302 and response["Location"] == next_
    return client.get(next_)


def test_enrolment_from_the_password_to_the_recovery_codes(dossier, officer):
    client = StaffClient()
    with time_machine.travel(START, tick=False):
        response = _log_in_with_password(client, officer)
        assert response["Location"] == f"{VERIFY}?next=/office/"
        response = client.get(response["Location"])
        assert response["Location"] == f"{SETUP}?next=%2Foffice%2F"
        page = client.get(response["Location"])
        body = page.content.decode()
        assert page.status_code == 200 and "<svg" in body
        assert re.findall(r"<script(?![^>]*\bsrc=)", body) == []  # no inline script
        assert "style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
        key = _secret_on(body)
        # The page stays the same on reload (the same unconfirmed device).
        assert _secret_on(client.get(f"{SETUP}?next=/office/").content.decode()) == key
        assert client.get("/office/").status_code == 302  # not yet

        wrong = client.post(SETUP, {"code": "000000", "next": "/office/"})
        assert "This code is not right" in wrong.content.decode()
        assert not TOTPDevice.objects.get(user=officer).confirmed

    with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
        done = client.post(SETUP, {"code": _code(key), "next": "/office/"})
        body = done.content.decode()
        assert done.status_code == 200
        codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", body)
        assert len(codes) == 10 == len(set(codes))
        assert 'href="/office/"' in body
        assert done["Cache-Control"].startswith("max-age=0")
        assert client.get("/office/").status_code == 200
        assert client.get(reverse("api-office-dossiers")).status_code == 200

    device = TOTPDevice.objects.get(user=officer)
    assert device.confirmed and device.bin_key == key
    assert StaticToken.objects.filter(device__user=officer).count() == 10
    (event,) = StaffSecurityEvent.objects.all()
    assert (event.action, event.subject, event.actor) == ("enrolled", officer, officer)
    # A new sign-in asks for the code, not for a new app.
    other = StaffClient()
    with time_machine.travel(START + dt.timedelta(seconds=120), tick=False):
        response = _log_in_with_password(other, officer)
        assert other.get(response["Location"]).status_code == 200  # the code page
        assert other.get(SETUP)["Location"] == f"{VERIFY}?next=%2F"
        response = other.post(VERIFY, {"code": _code(key), "next": "/office/"})
        assert response["Location"] == "/office/"
        assert other.get("/office/").status_code == 200


def test_the_password_alone_cannot_replace_the_app(officer):
    """Enrolling a second app takes the first one's code (or an administrator's reset)."""
    TOTPDeviceFactory(user=officer)
    with pytest.raises(PermissionDenied):
        second_factor.device_setup(user=officer)


def _enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDeviceFactory(user=user)
    return device, second_factor.recovery_codes_renew(user=user)


def _signed_in(user) -> StaffClient:
    client = StaffClient()
    client.force_login(user, second_factor=False)
    return client


def test_a_recovery_code_works_once(officer):
    _device, codes = _enrolled(officer)
    client = _signed_in(officer)
    typed = second_factor.format_recovery_code(codes[3]).upper()  # as copied from the page
    response = client.post(VERIFY, {"code": typed, "next": "/office/"})
    assert response["Location"] == "/office/"
    assert client.get("/office/").status_code == 200
    assert StaticToken.objects.filter(device__user=officer).count() == 9
    assert StaffSecurityEvent.objects.filter(action="recovery_used", subject=officer).count() == 1

    again = _signed_in(officer)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        response = again.post(VERIFY, {"code": codes[3], "next": "/office/"})
    assert response.status_code == 200
    assert "This code is not right" in response.content.decode()
    assert again.get("/office/").status_code == 302


def test_recovery_codes_are_renewed_by_a_verified_session_only(client, officer):
    _device, old = _enrolled(officer)
    password_only = _signed_in(officer)
    assert password_only.post("/account/second-factor/recovery-codes/").status_code == 302
    assert StaticToken.objects.filter(token__in=old).count() == 10
    client.force_login(officer)
    page = client.get("/account/second-factor/recovery-codes/").content.decode()
    assert "You have 10 unused recovery codes left." in page
    new = client.post("/account/second-factor/recovery-codes/").content.decode()
    assert not StaticToken.objects.filter(token__in=old).exists()
    assert len(re.findall(r"<li><code>[a-z2-7-]{9}</code></li>", new)) == 10


# --- refused codes -------------------------------------------------------------------------------


def test_wrong_expired_and_used_codes_are_told_apart(officer):
    device, _codes = _enrolled(officer)
    with time_machine.travel(START, tick=False):
        client = _signed_in(officer)
        empty = client.post(VERIFY, {"code": " ", "next": "/office/"})
        assert "This field is required." in empty.content.decode()
        expired = client.post(VERIFY, {"code": totp_code(device, steps=-4), "next": "/"})
        assert "This code has expired." in expired.content.decode()
    with time_machine.travel(START + dt.timedelta(seconds=5), tick=False):
        assert client.post(VERIFY, {"code": totp_code(device)})["Location"] == "/"
        other = _signed_in(officer)
    with time_machine.travel(START + dt.timedelta(seconds=10), tick=False):
        used = other.post(VERIFY, {"code": totp_code(device)})
        assert "This code has already been used" in used.content.decode()
        assert other.get("/office/").status_code == 302


def test_repeated_wrong_codes_lock_the_device_for_a_while(officer):
    device, _codes = _enrolled(officer)
    with time_machine.travel(START, tick=False) as clock:
        client = _signed_in(officer)  # that day (a staff sign-in ends with its day)
        for _attempt in range(4):
            response = client.post(VERIFY, {"code": "123456"})
            assert response.status_code == 200
            clock.shift(dt.timedelta(seconds=10))  # more than the lock after each of them
        device.refresh_from_db()
        assert device.throttling_failure_count == 4
        clock.shift(dt.timedelta(seconds=-10 + 2))  # 2 s after the 4th: locked for 8 s
        response = client.post(VERIFY, {"code": totp_code(device)})
        body = response.content.decode()
        assert "Too many wrong codes in a row: wait until 09:00:38 and try again." in body
        assert client.get("/office/").status_code == 302
        device.refresh_from_db()
        assert device.throttling_failure_count == 4  # a locked device counts nothing more
        clock.shift(dt.timedelta(seconds=7))
        assert client.post(VERIFY, {"code": totp_code(device)})["Location"] == "/"
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


# --- the token API -------------------------------------------------------------------------------


def test_a_staff_token_needs_a_current_code(officer):
    device, codes = _enrolled(officer)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    credentials = {"email": officer.email, "password": PASSWORD}
    with time_machine.travel(START, tick=False):
        response = api.post(TOKEN, credentials, format="json")
        assert response.status_code == 400
        assert "A second-factor code is needed" in response.json()["otp"][0]
        response = api.post(TOKEN, {**credentials, "otp": "000000"}, format="json")
        assert response.status_code == 400
        assert "This code is not right" in response.json()["otp"][0]
        assert not Token.objects.filter(user=officer).exists()
    with time_machine.travel(START + dt.timedelta(seconds=30), tick=False):
        response = api.post(TOKEN, {**credentials, "otp": totp_code(device)}, format="json")
        assert response.status_code == 200
        key = response.json()["token"]
        # (Used the same day: a token lasts API_TOKEN_HOURS.)
        response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api-office-dossiers"))
        assert response.status_code == 200
    # A recovery code too (used up).
    with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
        response = api.post(TOKEN, {**credentials, "otp": codes[0]}, format="json")
        assert response.status_code == 200
        assert not StaticToken.objects.filter(token=codes[0]).exists()
    # The wrong password says nothing about the second factor.
    response = api.post(TOKEN, {**credentials, "password": "x"}, format="json")
    assert response.json() == {"detail": "Wrong email or password."}


def test_a_staff_member_without_an_app_enrols_on_the_website_first(officer):
    response = APIClient().post(
        TOKEN, {"email": officer.email, "password": PASSWORD, "otp": "123456"}, format="json"
    )
    assert response.status_code == 400
    assert "You have not set up your second factor yet" in response.json()["otp"][0]


def test_the_token_refusal_speaks_the_accounts_language(officer):
    TOTPDeviceFactory(user=officer)
    officer.language = "vi"
    officer.save()
    with pytest.MonkeyPatch.context() as patch:
        seen = []
        real = second_factor.override

        def spy(language):
            seen.append(language)
            return real(language)

        patch.setattr(second_factor, "override", spy)
        APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
            TOKEN, {"email": officer.email, "password": PASSWORD}, format="json"
        )
    assert seen == ["vi"]


def test_staff_tokens_issued_before_the_second_factor_are_revoked(officer):
    from importlib import import_module

    from django.apps import apps

    citizen = CitizenFactory()
    Token.objects.create(user=officer)
    Token.objects.create(user=UserFactory(is_staff=True))
    kept = Token.objects.create(user=citizen)
    import_module("portal.migrations.0013_revoke_staff_tokens").revoke(apps, None)
    assert list(Token.objects.all()) == [kept]


# --- reset by an administrator -------------------------------------------------------------------


def _reset_in_admin(client, *users):
    return client.post(
        "/admin/portal/user/",
        {"action": "reset_second_factor", "_selected_action": [u.pk for u in users]},
        follow=True,
    )


def test_an_agency_administrator_resets_a_colleagues_second_factor(client, agency_admin, officer):
    device, _codes = _enrolled(officer)
    Token.objects.create(user=officer)
    session = _signed_in(officer)
    session.post(VERIFY, {"code": totp_code(device)})
    assert session.get("/office/").status_code == 200
    agency_admin.language = "en"
    agency_admin.save()
    client.force_login(agency_admin)

    response = _reset_in_admin(client, officer)
    assert "The second factor of 1 account was reset" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert not StaticDevice.objects.filter(user=officer).exists()
    assert not Token.objects.filter(user=officer).exists()
    (event,) = StaffSecurityEvent.objects.filter(action="reset")
    assert (event.actor, event.subject, event.subject_email) == (
        agency_admin,
        officer,
        officer.email,
    )
    # The verified session is verified no more; the next sign-in enrols a new app.
    response = session.get("/office/")
    assert response["Location"] == f"{VERIFY}?next=/office/"
    assert session.get(response["Location"])["Location"].startswith(SETUP)
    # The trail, read only, in the admin.
    page = client.get("/admin/portal/staffsecurityevent/").content.decode()
    assert officer.email in page
    assert client.get(f"/admin/portal/staffsecurityevent/{event.pk}/delete/").status_code == 403


def test_not_another_agencys_staff(client, agency_admin, other_agency):
    stranger = OfficerFactory(agency=other_agency, roles=["desk"])
    _enrolled(stranger)
    client.force_login(agency_admin)
    _reset_in_admin(client, stranger)  # not in the admin's list: nothing selected
    assert TOTPDevice.objects.filter(user=stranger).exists()
    with pytest.raises(PermissionDenied):
        second_factor.device_reset(actor=agency_admin, staff=stranger)
    assert TOTPDevice.objects.filter(user=stranger).exists()
    assert not StaffSecurityEvent.objects.filter(action="reset").exists()
    # Nor does the trail show another agency's events.
    second_factor.recovery_codes_renew(user=stranger)
    assert stranger.email not in client.get("/admin/portal/staffsecurityevent/").content.decode()


def test_an_officer_cannot_reset_anyone(officer, agency):
    colleague = OfficerFactory(agency=agency, roles=["desk"])
    _enrolled(colleague)
    with pytest.raises(PermissionDenied):
        second_factor.device_reset(actor=officer, staff=colleague)


def test_a_superuser_resets_anyones(client, superuser, other_admin):
    _enrolled(other_admin)
    client.force_login(superuser)
    _reset_in_admin(client, other_admin)
    assert not TOTPDevice.objects.filter(user=other_admin).exists()


# --- the demo ------------------------------------------------------------------------------------


def test_demo_staff_sign_in_with_the_documented_secret(settings):
    from demo import people

    call_command("seed_demo", "--without-catalogue")
    desk = people.User.objects.get(email="motcua@demo.dvc.vn")
    device = TOTPDevice.objects.get(user=desk, confirmed=True)
    assert base64.b32encode(device.bin_key).decode() == people.DEMO_TOTP_SECRET
    assert not TOTPDevice.objects.filter(user__email="congdan@demo.dvc.vn").exists()
    call_command("seed_demo", "--without-catalogue")  # again: the same device
    assert TOTPDevice.objects.get(user=desk).pk == device.pk

    with time_machine.travel(START, tick=False):
        out = io.StringIO()
        call_command("demo_totp", desk.email, stdout=out)
        code = out.getvalue().strip()
        assert code == totp_code(device)
        client = _signed_in(desk)
        assert client.post(VERIFY, {"code": code})["Location"] == "/"

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo_totp", desk.email)
