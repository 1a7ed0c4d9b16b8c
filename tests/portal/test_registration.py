"""Registration that tells nobody who has an account, and contact details confirmed before a
password account files (issue 18, finding 5 and "What to build" 6; portal.registration)."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal import sms
from portal.models import PendingRegistration, User
from submissions.models import State
from tests.factories import PASSWORD, CitizenFactory, DossierFactory, UserFactory
from tests.portal.test_accounts import NEW_PASSWORD, registration_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "portal.sms.MemoryBackend"
    sms.MemoryBackend.outbox.clear()
    yield sms.MemoryBackend.outbox
    sms.MemoryBackend.outbox.clear()


def register(client, capture, **overrides):
    """Post the form with its mail sent; returns the response."""
    with capture(execute=True):
        return client.post(reverse("register"), registration_data(**overrides))


def link_in(message) -> str:
    """The path of the portal link in an email (the site's address is SITE_URL's)."""
    url = re.search(r"https?://\S+/account/\S+/", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


# --- the same answer, whoever has an account ---------------------------------------------------


def test_registering_makes_nothing_until_the_link_is_confirmed(
    client, django_capture_on_commit_callbacks, sms_outbox
):
    response = register(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response.url == reverse("register_sent")
    assert User.objects.count() == 0
    assert SESSION_KEY not in client.session
    page = client.get(response.url).content.decode()
    assert "lan.nguyen@example.vn" in page
    [message] = mail.outbox
    assert message.to == ["lan.nguyen@example.vn"]
    link = link_in(message)

    # Opening the link (as a mail scanner would) makes nothing: a button does.
    shown = client.get(link)
    assert shown.status_code == 200
    assert "Nguyễn Thị Lan" in shown.content.decode()
    assert User.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(link)
    user = User.objects.get()
    assert user.email == "lan.nguyen@example.vn"
    assert (user.full_name, user.citizen_id, user.gender) == (
        "Nguyễn Thị Lan",
        "079305001234",
        "female",
    )
    assert user.date_of_birth == datetime.date(2005, 3, 4)
    assert user.check_password(NEW_PASSWORD)
    assert user.password != NEW_PASSWORD
    assert (user.agency, user.is_staff, user.is_superuser) == (None, False, False)
    assert user.email_confirmed_at is not None
    assert user.phone_confirmed_at is None
    assert client.session[SESSION_KEY] == str(user.pk)
    assert not PendingRegistration.objects.exists()
    # Next: the code sent to the phone.
    assert made.url == reverse("phone_confirm")
    [(phone, text)] = sms_outbox
    assert phone == "0912345678"
    client.post(reverse("phone_confirm"), {"code": code_in(text)})
    user.refresh_from_db()
    assert user.phone_confirmed_at is not None


def test_an_address_with_an_account_gets_the_same_answer_and_a_sign_in_email(
    client, django_capture_on_commit_callbacks
):
    new = register(client, django_capture_on_commit_callbacks, email="moi@example.vn")
    new_page = client.get(new.url).content.decode()
    existing = UserFactory(email="lan.nguyen@example.vn")
    client.cookies.clear()
    taken = register(client, django_capture_on_commit_callbacks, email="LAN.NGUYEN@example.VN")

    assert (taken.status_code, taken.url) == (new.status_code, new.url)
    taken_page = client.get(taken.url).content.decode()
    assert taken_page == new_page.replace("moi@example.vn", "lan.nguyen@example.vn")
    # The owner of the address is told, and nothing is made or changed.
    message = mail.outbox[-1]
    assert message.to == ["lan.nguyen@example.vn"]
    assert "/account/login/" in message.body and "/account/password/reset/" in message.body
    assert "/account/register/confirm/" not in message.body
    assert list(User.objects.all()) == [existing]
    assert not PendingRegistration.objects.filter(email="lan.nguyen@example.vn").exists()
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)


def test_a_citizen_id_with_an_account_gets_the_same_answer_and_is_not_copied(
    client, django_capture_on_commit_callbacks
):
    other = UserFactory(
        citizen_id="079305001234", date_of_birth=datetime.date(2005, 1, 1), gender="female"
    )
    response = register(client, django_capture_on_commit_callbacks)
    assert response.url == reverse("register_sent")
    link = link_in(mail.outbox[-1])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, HTTP_ACCEPT_LANGUAGE="en")
    user = User.objects.get(email="lan.nguyen@example.vn")
    assert user.citizen_id is None
    other.refresh_from_db()
    assert other.citizen_id == "079305001234"
    page = client.get(reverse("phone_confirm"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "already on another account" in page


def test_the_registration_email_is_in_the_language_of_the_form(
    client, django_capture_on_commit_callbacks
):
    client.cookies["dvc_language"] = "en"
    register(client, django_capture_on_commit_callbacks)
    assert "Confirm your email address" in mail.outbox[0].subject
    client.cookies["dvc_language"] = "vi"
    register(client, django_capture_on_commit_callbacks, email="khac@example.vn")
    assert "Xác nhận" in mail.outbox[1].subject


def test_without_a_phone_the_new_account_goes_where_it_was_heading(
    client, django_capture_on_commit_callbacks, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("register") + "?next=/account/profile/",
            registration_data(phone="", citizen_id="", date_of_birth="", gender=""),
        )
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(link_in(mail.outbox[0]))
    assert made.url == "/account/profile/"
    user = User.objects.get()
    assert user.citizen_id is None  # NULL, so many accounts can leave it empty
    assert (user.phone, user.date_of_birth, user.gender) == ("", None, "")
    assert sms_outbox == []


def test_with_a_phone_the_next_page_waits_for_the_code(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("register"), registration_data(next="/procedures/"))
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(link_in(mail.outbox[0]))
    assert made.url == reverse("phone_confirm") + "?next=%2Fprocedures%2F"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "http://evil.example/account/", "javascript:x"],
)
def test_an_external_next_is_not_followed_after_confirming(
    client, django_capture_on_commit_callbacks, target
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("register"), registration_data(next=target, phone=""))
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(link_in(mail.outbox[0]))
    assert made.url == reverse("home")
    assert User.objects.count() == 1


def test_two_accounts_may_both_leave_the_citizen_id_empty(
    client, django_capture_on_commit_callbacks
):
    UserFactory(citizen_id=None)
    register(client, django_capture_on_commit_callbacks, citizen_id="", date_of_birth="", gender="")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_in(mail.outbox[0]))
    assert User.objects.filter(citizen_id__isnull=True).count() == 2


# --- links that cannot make an account ---------------------------------------------------------


def test_an_altered_link_is_refused_with_what_to_do(client, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    altered = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    client.cookies["dvc_language"] = "en"
    for method in (client.get, client.post):
        response = method(altered)
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    assert User.objects.count() == 0
    assert PendingRegistration.objects.count() == 1  # the real link still works


def test_a_link_expires_after_a_day(client, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    client.cookies["dvc_language"] = "en"
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        response = client.post(link)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert User.objects.count() == 0


def test_a_used_link_says_so_and_makes_nothing_more(client, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks, phone="")
    link = link_in(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link)
    client.cookies.clear()
    client.cookies["dvc_language"] = "en"
    again = client.post(link)
    assert again.status_code == 410
    assert "used already" in again.content.decode()
    assert User.objects.count() == 1


def test_of_two_registrations_of_one_address_the_first_confirmed_wins(
    client, django_capture_on_commit_callbacks
):
    register(client, django_capture_on_commit_callbacks, full_name="Người Thứ Nhất", phone="")
    register(client, django_capture_on_commit_callbacks, full_name="Người Thứ Hai", phone="")
    first, second = (link_in(message) for message in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(second)
    assert User.objects.get().full_name == "Người Thứ Hai"
    client.cookies.clear()
    assert client.post(first).status_code == 410
    assert User.objects.count() == 1


def test_old_registrations_are_cleared_by_the_next_one(client, django_capture_on_commit_callbacks):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=3)):
        register(client, django_capture_on_commit_callbacks, email="cu@example.vn")
    register(client, django_capture_on_commit_callbacks, email="moi@example.vn")
    assert list(PendingRegistration.objects.values_list("email", flat=True)) == ["moi@example.vn"]


# --- the phone --------------------------------------------------------------------------------


@pytest.fixture
def unconfirmed(client, django_capture_on_commit_callbacks):
    """A signed-in citizen whose phone is not confirmed, and a code sent to it."""
    user = CitizenFactory(phone="0987654321", phone_confirmed_at=None)
    client.force_login(user)
    client.cookies["dvc_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("phone_confirm"), {"action": "send"})
    return user


def test_a_wrong_code_is_refused_in_place_and_the_right_one_confirms(
    client, unconfirmed, sms_outbox
):
    [(phone, text)] = sms_outbox
    assert phone == "0987654321"
    code = code_in(text)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post(reverse("phone_confirm"), {"code": wrong})
    assert response.status_code == 400
    assert "That is not the code we sent" in response.content.decode()
    unconfirmed.refresh_from_db()
    assert unconfirmed.phone_confirmed_at is None
    response = client.post(reverse("phone_confirm") + "?next=/procedures/", {"code": f" {code} "})
    assert response.url == "/procedures/"
    unconfirmed.refresh_from_db()
    assert unconfirmed.phone_confirmed_at is not None


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1234567"])
def test_a_code_of_the_wrong_shape_is_refused(client, unconfirmed, typed):
    response = client.post(reverse("phone_confirm"), {"code": typed})
    assert response.status_code == 400
    unconfirmed.refresh_from_db()
    assert unconfirmed.phone_confirmed_at is None


def test_five_wrong_codes_end_the_code(client, unconfirmed, sms_outbox, settings):
    code = code_in(sms_outbox[0][1])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(settings.PHONE_CODE_TRIES):
        client.post(reverse("phone_confirm"), {"code": wrong})
    response = client.post(reverse("phone_confirm"), {"code": code})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    unconfirmed.refresh_from_db()
    assert unconfirmed.phone_confirmed_at is None


def test_a_code_expires(client, unconfirmed, sms_outbox):
    code = code_in(sms_outbox[0][1])
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        response = client.post(reverse("phone_confirm"), {"code": code})
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_a_code_for_the_old_number_does_not_confirm_a_new_one(client, unconfirmed, sms_outbox):
    code = code_in(sms_outbox[0][1])
    User.objects.filter(pk=unconfirmed.pk).update(phone="0911111111")
    response = client.post(reverse("phone_confirm"), {"code": code})
    assert response.status_code == 400
    unconfirmed.refresh_from_db()
    assert unconfirmed.phone_confirmed_at is None


def test_codes_sent_are_limited_per_hour(
    client, unconfirmed, sms_outbox, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(settings.PHONE_CODES_PER_HOUR + 2):
            response = client.post(reverse("phone_confirm"), {"action": "send"}, follow=True)
    assert len(sms_outbox) == settings.PHONE_CODES_PER_HOUR
    assert "Too many codes" in response.content.decode()


# --- changing the email address or phone in the profile ------------------------------------------


def profile_post(client, user, **changes):
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "citizen_id": user.citizen_id or "",
        "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else "",
        "gender": user.gender,
        "address": user.address,
        "language": "en",
        **changes,
    }
    return client.post(reverse("profile"), data)


def test_a_new_address_is_confirmed_by_a_link_sent_to_it(
    client, django_capture_on_commit_callbacks
):
    user = CitizenFactory(email="cu@example.vn")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = profile_post(client, user, email="moi@example.vn")
    assert response.url == reverse("profile")
    user.refresh_from_db()
    assert (user.email, user.email_confirmed_at) == ("moi@example.vn", None)
    [message] = mail.outbox
    assert message.to == ["moi@example.vn"]
    link = link_in(message)
    client.get(link)
    user.refresh_from_db()
    assert user.email_confirmed_at is not None


def test_a_link_for_an_address_no_longer_the_accounts_is_refused(
    client, django_capture_on_commit_callbacks
):
    user = CitizenFactory(email="cu@example.vn")
    client.force_login(user)
    client.cookies["dvc_language"] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        profile_post(client, user, email="moi@example.vn")
        user.refresh_from_db()
        profile_post(client, user, email="khac@example.vn")
    first = link_in(mail.outbox[0])
    page = client.get(first, follow=True).content.decode()
    assert "This link is for another address" in page
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_another_accounts_address_link_confirms_nothing(client, django_capture_on_commit_callbacks):
    owner = CitizenFactory(email_confirmed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(owner)
        client.post(reverse("email_confirm_send"))
    link = link_in(mail.outbox[0])
    other = CitizenFactory(email_confirmed_at=None)
    client.force_login(other)
    client.get(link)
    other.refresh_from_db()
    owner.refresh_from_db()
    assert (other.email_confirmed_at, owner.email_confirmed_at) == (None, None)


def test_a_new_phone_is_no_longer_confirmed_and_gets_a_code(
    client, django_capture_on_commit_callbacks, sms_outbox
):
    user = CitizenFactory(phone="0912345678")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = profile_post(client, user, phone="0987000111")
    assert response.url == reverse("phone_confirm")
    user.refresh_from_db()
    assert user.phone_confirmed_at is None
    assert user.email_confirmed_at is not None  # the address did not change
    assert [phone for phone, _text in sms_outbox] == ["0987000111"]


def test_saving_the_profile_unchanged_keeps_both_confirmed(client):
    user = CitizenFactory()
    client.force_login(user)
    assert profile_post(client, user).url == reverse("profile")
    user.refresh_from_db()
    assert user.email_confirmed_at is not None and user.phone_confirmed_at is not None


# --- filing waits for both --------------------------------------------------------------------


def test_an_unconfirmed_address_cannot_file_and_loses_nothing(client):
    dossier = DossierFactory(complete=True, applicant__email_confirmed_at=None)
    client.force_login(dossier.applicant)
    client.cookies["dvc_language"] = "en"
    response = client.post(reverse("submissions:submit", args=[dossier.public_id]), follow=True)
    assert response.redirect_chain[0][0] == reverse("profile")
    assert "Confirm your email address before you file" in response.content.decode()
    dossier.refresh_from_db()
    assert (dossier.state, dossier.code) == (State.DRAFT, None)
    assert dossier.files.count() == 1


def test_an_unconfirmed_phone_cannot_file_until_its_code_is_given(
    client, django_capture_on_commit_callbacks, sms_outbox
):
    dossier = DossierFactory(complete=True, applicant__phone="0912000333")
    User.objects.filter(pk=dossier.applicant_id).update(phone_confirmed_at=None)
    client.force_login(dossier.applicant)
    submit = reverse("submissions:submit", args=[dossier.public_id])
    response = client.post(submit)
    review = reverse("submissions:review", args=[dossier.public_id])
    assert response.url == reverse("phone_confirm") + "?next=" + review.replace("/", "%2F")
    dossier.refresh_from_db()
    assert dossier.state == State.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("phone_confirm"), {"action": "send"})
    client.post(reverse("phone_confirm"), {"code": code_in(sms_outbox[0][1])})
    client.post(submit)
    dossier.refresh_from_db()
    assert dossier.state == State.SUBMITTED


def test_the_api_refuses_to_file_for_an_unconfirmed_address(client):
    from rest_framework.test import APIClient

    dossier = DossierFactory(complete=True, applicant__email_confirmed_at=None)
    api = APIClient()
    api.force_authenticate(dossier.applicant)
    response = api.post(f"/api/v1/dossiers/{dossier.public_id}/submit/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Confirm your email address" in str(response.json())
    dossier.refresh_from_db()
    assert dossier.state == State.DRAFT


def test_an_eid_account_files_without_an_email_link(client):
    dossier = DossierFactory(
        complete=True,
        applicant__email_confirmed_at=None,
        applicant__eid_subject="vneid-subject-1",
    )
    client.force_login(dossier.applicant)
    client.post(reverse("submissions:submit", args=[dossier.public_id]))
    dossier.refresh_from_db()
    assert dossier.state == State.SUBMITTED
