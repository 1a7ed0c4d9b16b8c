import datetime
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from portal.models import User
from tests.factories import PASSWORD, AgencyFactory, OfficerFactory, UserFactory

pytestmark = pytest.mark.django_db


NEW_PASSWORD = "Hoa-sen-no-2025!"


def registration_data(**overrides) -> dict:
    data = {
        "full_name": "Nguyễn Thị Lan",
        "email": "Lan.Nguyen@Example.VN",
        "phone": "0912345678",
        "citizen_id": "079305001234",
        "date_of_birth": "2005-03-04",
        "gender": "female",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def error_codes(response, field: str) -> list[str]:
    return [e.code for e in response.context["form"].errors.as_data().get(field, [])]


def field_block(html: str, field: str) -> str:
    """The `<div class="field …">` wrapper that holds the field's label, errors and input."""
    for chunk in re.split(r'(?=<div class="field[ "])', html)[1:]:
        if f'<label for="id_{field}">' in chunk:
            return chunk.split("<button", 1)[0]
    raise AssertionError(f"no field block for {field}")


def assert_error_shown_on(response, field: str) -> None:
    """The form came back (200) with the error list inside the field's own block, linked to
    the input, and no other field is marked invalid."""
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {field}
    html = response.content.decode()
    block = field_block(html, field)
    assert block.startswith('<div class="field field-invalid')
    errors_at = block.index(f'<ul class="field-errors" id="id_{field}_error">')
    input_at = block.index(f'id="id_{field}"')
    assert errors_at < input_at  # the message is read before the input
    assert 'aria-invalid="true"' in block
    assert html.count("field-invalid") == 1
    # Every id the inputs point screen readers to exists on the page.
    for refs in re.findall(r'aria-describedby="([^"]*)"', html):
        for target in refs.split():
            assert f'id="{target}"' in html, target


# --- registration ------------------------------------------------------------------------------


def test_register_page_renders_the_form(client):
    response = client.get(reverse("register"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("full_name", "email", "citizen_id", "date_of_birth", "password1", "password2"):
        assert f'name="{name}"' in html
    # A citizen cannot make themselves staff or pick an agency.
    assert 'name="agency"' not in html
    assert 'name="is_staff"' not in html


def test_register_form_keeps_a_safe_next_and_drops_an_external_one(client):
    html = client.get(reverse("register") + "?next=/account/profile/").content.decode()
    assert '<input type="hidden" name="next" value="/account/profile/">' in html
    html = client.get(reverse("register") + "?next=https://evil.example/").content.decode()
    assert 'name="next" value="https://evil.example/"' not in html
    assert f"{reverse('login')}?next=" not in html


def test_register_redirects_a_logged_in_user_home(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("register"), registration_data())
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"citizen_id": "07930500123"}, "citizen_id_shape"),
        ({"citizen_id": "07930500123x"}, "citizen_id_shape"),
        ({"citizen_id": "079305001234567"}, "max_length"),
        ({"citizen_id": "079３05001234"}, "citizen_id_shape"),
        ({"citizen_id": "003305001234"}, "citizen_id_province"),
        ({"citizen_id": "079399001234", "date_of_birth": ""}, "citizen_id_year"),
        ({"citizen_id": "079305001234", "date_of_birth": "2004-03-04"}, "citizen_id_birth_year"),
        ({"citizen_id": "079305001234", "gender": "male"}, "citizen_id_gender"),
    ],
    ids=[
        "short",
        "letter",
        "too-long",
        "fullwidth-digit",
        "unknown-province",
        "future-year",
        "birth-year-mismatch",
        "gender-mismatch",
    ],
)
def test_register_rejects_a_bad_citizen_id(client, overrides, code):
    response = client.post(reverse("register"), registration_data(**overrides))
    assert_error_shown_on(response, "citizen_id")
    assert error_codes(response, "citizen_id") == [code]
    assert User.objects.count() == 0
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1!xyz", "password_too_short"),
        ("qwertyuiop", "password_too_common"),
        ("4827391056", "password_entirely_numeric"),
        ("lan.nguyen@example", "password_too_similar"),
    ],
)
def test_register_rejects_a_weak_password(client, password, code):
    response = client.post(
        reverse("register"), registration_data(password1=password, password2=password)
    )
    assert_error_shown_on(response, "password1")
    assert code in error_codes(response, "password1")
    assert User.objects.count() == 0
    # The password is never echoed back into the page.
    assert "value=" not in field_block(response.content.decode(), "password1")


def test_register_rejects_mismatched_passwords(client):
    response = client.post(reverse("register"), registration_data(password2=NEW_PASSWORD + "x"))
    assert_error_shown_on(response, "password2")
    assert error_codes(response, "password2") == ["password_mismatch"]
    assert User.objects.count() == 0


def test_register_requires_name_email_and_passwords(client):
    response = client.post(reverse("register"), {"phone": ""})
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert set(errors) == {"full_name", "email", "password1", "password2"}
    assert all(e.code == "required" for field in errors.values() for e in field)
    assert User.objects.count() == 0


# --- login and logout --------------------------------------------------------------------------


def test_login_with_email_in_any_case(client):
    user = UserFactory(email="an.tran@example.vn")
    response = client.post(
        reverse("login"), {"username": "AN.Tran@Example.VN", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session[SESSION_KEY] == str(user.pk)


def test_login_follows_a_safe_next(client):
    UserFactory(email="an.tran@example.vn")
    response = client.post(
        reverse("login"),
        {"username": "an.tran@example.vn", "password": PASSWORD, "next": "/account/profile/"},
    )
    assert response.url == "/account/profile/"


def test_login_with_a_wrong_password_fails(client):
    user = UserFactory(email="an.tran@example.vn")
    response = client.post(
        reverse("login"), {"username": "an.tran@example.vn", "password": PASSWORD + "x"}
    )
    assert response.status_code == 200
    codes = [e.code for e in response.context["form"].non_field_errors().as_data()]
    assert codes == ["invalid_login"]
    assert SESSION_KEY not in client.session
    user.refresh_from_db()
    assert user.last_login is None


def test_inactive_user_cannot_log_in(client):
    UserFactory(email="an.tran@example.vn", is_active=False)
    response = client.post(
        reverse("login"), {"username": "an.tran@example.vn", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_logout_by_post(client):
    client.force_login(UserFactory())
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert SESSION_KEY not in client.session


def test_logout_by_get_is_refused(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert client.session[SESSION_KEY] == str(user.pk)


# --- profile -----------------------------------------------------------------------------------


def profile_data(user: User, **overrides) -> dict:
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "citizen_id": user.citizen_id or "",
        "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else "",
        "gender": user.gender,
        "address": user.address,
        "language": user.language,
    }
    data.update(overrides)
    return data


def test_profile_requires_login(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('profile')}"


def test_anonymous_post_to_profile_changes_nothing(client):
    user = UserFactory(full_name="Trần Văn An")
    response = client.post(reverse("profile"), profile_data(user, full_name="Kẻ Lạ"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.full_name == "Trần Văn An"


def test_profile_shows_the_users_details(client):
    user = UserFactory(full_name="Trần Văn An", citizen_id="001090012345")
    client.force_login(user)
    response = client.get(reverse("profile"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Trần Văn An"' in html
    assert 'value="001090012345"' in html


def test_profile_saves_changes(client):
    user = UserFactory(email="an.tran@example.vn")
    client.force_login(user)
    response = client.post(
        reverse("profile"),
        profile_data(
            user,
            full_name="Trần Văn An",
            email="An.Tran2@Example.VN",
            phone="+84912345678",
            citizen_id="001090012345",
            date_of_birth="1990-05-17",
            gender="male",
            address="12 Phố Huế, Hà Nội",
            language="en",
        ),
    )
    # The new phone number is confirmed next, with the code sent to it (portal.registration).
    assert response.status_code == 302
    assert response.url == reverse("phone_confirm")
    user.refresh_from_db()
    assert user.full_name == "Trần Văn An"
    assert user.email == "an.tran2@example.vn"
    assert (user.email_confirmed_at, user.phone_confirmed_at) == (None, None)
    assert user.phone == "+84912345678"
    assert user.citizen_id == "001090012345"
    assert user.date_of_birth == datetime.date(1990, 5, 17)
    assert user.gender == "male"
    assert user.address == "12 Phố Huế, Hà Nội"
    assert user.language == "en"
    assert user.check_password(PASSWORD)


def test_profile_keeps_own_citizen_id_and_email(client):
    """Saving without changes does not clash with the user's own email and number."""
    user = UserFactory(
        citizen_id="001090012345", date_of_birth=datetime.date(1990, 5, 17), gender="male"
    )
    client.force_login(user)
    response = client.post(reverse("profile"), profile_data(user))
    assert response.status_code == 302


def test_profile_rejects_a_citizen_id_owned_by_another_user(client):
    UserFactory(citizen_id="001090012345")
    user = UserFactory(
        full_name="Trần Văn An",
        citizen_id="079305001234",
        date_of_birth=datetime.date(2005, 1, 1),
        gender="female",
    )
    client.force_login(user)
    before = User.objects.values().get(pk=user.pk)
    response = client.post(
        reverse("profile"),
        profile_data(user, full_name="Tên Mới", citizen_id="001090012345"),
    )
    assert_error_shown_on(response, "citizen_id")
    assert error_codes(response, "citizen_id") == ["duplicate_citizen_id"]
    assert User.objects.values().get(pk=user.pk) == before


def test_profile_rejecting_a_number_does_not_check_the_stored_one(client):
    """The other person's number comes with their date of birth and gender: the only error is
    the clash, not a mismatch between the stored number and the new date of birth."""
    UserFactory(citizen_id="001090012345")
    user = UserFactory(
        citizen_id="079305001234", date_of_birth=datetime.date(2005, 1, 1), gender="female"
    )
    client.force_login(user)
    before = User.objects.values().get(pk=user.pk)
    response = client.post(
        reverse("profile"),
        profile_data(user, citizen_id="001090012345", date_of_birth="1990-05-17", gender="male"),
    )
    assert_error_shown_on(response, "citizen_id")
    assert error_codes(response, "citizen_id") == ["duplicate_citizen_id"]
    assert User.objects.values().get(pk=user.pk) == before


def test_profile_reports_a_birth_year_mismatch_once(client):
    user = UserFactory(
        citizen_id="001090012345", date_of_birth=datetime.date(1990, 5, 17), gender="male"
    )
    client.force_login(user)
    before = User.objects.values().get(pk=user.pk)
    response = client.post(reverse("profile"), profile_data(user, date_of_birth="1991-05-17"))
    assert_error_shown_on(response, "citizen_id")
    assert error_codes(response, "citizen_id") == ["citizen_id_birth_year"]
    assert User.objects.values().get(pk=user.pk) == before


def test_profile_rejects_an_email_owned_by_another_user(client):
    UserFactory(email="taken@example.vn")
    user = UserFactory(email="mine@example.vn")
    client.force_login(user)
    before = User.objects.values().get(pk=user.pk)
    response = client.post(reverse("profile"), profile_data(user, email="Taken@Example.vn"))
    assert_error_shown_on(response, "email")
    assert error_codes(response, "email") == ["duplicate_email"]
    assert User.objects.values().get(pk=user.pk) == before


def test_profile_rejects_an_inconsistent_citizen_id(client):
    user = UserFactory()
    client.force_login(user)
    before = User.objects.values().get(pk=user.pk)
    response = client.post(
        reverse("profile"),
        profile_data(user, citizen_id="001090012345", date_of_birth="1991-01-01", gender="male"),
    )
    assert_error_shown_on(response, "citizen_id")
    assert error_codes(response, "citizen_id") == ["citizen_id_birth_year"]
    assert User.objects.values().get(pk=user.pk) == before


def test_profile_does_not_let_a_citizen_change_agency_or_staff_flags(client):
    officer = OfficerFactory(roles=["desk"])
    other_agency = AgencyFactory()
    client.force_login(officer)
    response = client.post(
        reverse("profile"),
        profile_data(officer, agency=other_agency.pk, is_staff="on", is_superuser="on"),
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.agency != other_agency
    assert (officer.is_staff, officer.is_superuser) == (False, False)


# --- password reset ----------------------------------------------------------------------------


def _reset_link(message) -> str:
    match = re.search(r"http://testserver(/account/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_sends_one_email_whose_link_sets_a_new_password(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="an.tran@example.vn", full_name="Trần Văn An")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("password_reset"), {"email": "AN.TRAN@example.vn"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["an.tran@example.vn"]
    assert "Trần Văn An" in message.body

    link = _reset_link(message)
    response = client.get(link)
    assert response.status_code == 302  # to the same page without the token in the URL
    set_password_url = response.url
    response = client.get(set_password_url)
    assert response.status_code == 200
    assert response.context["validlink"] is True
    response = client.post(
        set_password_url,
        {"new_password1": "Mat-khau-moi-2025", "new_password2": "Mat-khau-moi-2025"},
    )
    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")

    user.refresh_from_db()
    assert user.check_password("Mat-khau-moi-2025")
    assert not user.check_password(PASSWORD)
    client.logout()
    response = client.post(
        reverse("login"), {"username": "an.tran@example.vn", "password": "Mat-khau-moi-2025"}
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)

    # The link works once.
    client.logout()
    response = client.get(link, follow=True)
    assert response.context["validlink"] is False


def test_password_reset_refuses_a_weak_new_password(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="an.tran@example.vn")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "an.tran@example.vn"})
    set_password_url = client.get(_reset_link(mail.outbox[0])).url
    response = client.post(
        set_password_url, {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    codes = [e.code for e in response.context["form"].errors.as_data()["new_password2"]]
    assert "password_too_common" in codes
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_for_an_unknown_email_sends_nothing(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="an.tran@example.vn")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("password_reset"), {"email": "nobody@example.vn"}, follow=True
        )
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert response.status_code == 200
    assert "registration/password_reset_done.html" in [t.name for t in response.templates]
    assert callbacks == []
    assert mail.outbox == []


def test_password_reset_for_an_inactive_user_sends_nothing(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="an.tran@example.vn", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "an.tran@example.vn"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


# --- language ----------------------------------------------------------------------------------


def test_default_language_is_vietnamese(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "vi"
    assert '<html lang="vi">' in response.content.decode()


def test_language_switch_to_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.url == "/"

    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert "Online public services of the education sector" in html
    assert re.search(r'<a href="/language/en/[^"]*"[^>]*aria-current="true"', html)
    assert re.search(r'<a href="/language/vi/[^"]*" lang="vi" hreflang="vi"\s*>', html)

    # Django's own catalogue has Vietnamese for this message, so it shows the switch took effect
    # on translated text too, not only on the lang attribute.
    response = client.post(reverse("register"), {"phone": ""})
    assert "This field is required." in response.content.decode()


def test_vietnamese_is_used_for_djangos_own_messages_by_default(client):
    response = client.post(reverse("register"), {"phone": ""})
    html = response.content.decode()
    assert "This field is required." not in html
    assert "Trường này là bắt buộc." in html


def test_language_switch_back_to_vietnamese(client):
    client.post(reverse("set_language"), {"language": "en"})
    client.post(reverse("set_language"), {"language": "vi"})
    assert '<html lang="vi">' in client.get(reverse("home")).content.decode()


def test_unknown_language_is_ignored(client):
    client.post(reverse("set_language"), {"language": "fr"})
    assert '<html lang="vi">' in client.get(reverse("home")).content.decode()


def test_a_logged_in_users_language_is_used_without_a_cookie(client):
    client.force_login(UserFactory(language="en"))
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_the_language_cookie_wins_over_the_users_language(client):
    client.force_login(UserFactory(language="en"))
    client.post(reverse("set_language"), {"language": "vi"})
    assert '<html lang="vi">' in client.get(reverse("home")).content.decode()
