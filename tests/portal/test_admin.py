import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.models import StaffRole, User
from tests.factories import AgencyFactory, OfficerFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:portal_user_changelist")
ADD = reverse("admin:portal_user_add")


def change_url(user: User) -> str:
    return reverse("admin:portal_user_change", args=[user.pk])


@pytest.fixture
def agency_admin():
    return OfficerFactory(email="quantri@so.example.vn", roles=["agency_admin"], is_staff=True)


@pytest.fixture
def people(agency_admin):
    """A colleague in the admin's agency, an officer elsewhere, a citizen and a superuser who is
    attached to the admin's agency."""
    return {
        "colleague": OfficerFactory(
            email="colleague@so.example.vn", agency=agency_admin.agency, roles=["desk"]
        ),
        "outsider": OfficerFactory(email="outsider@other.example.vn", roles=["desk"]),
        "citizen": UserFactory(email="citizen@example.vn"),
        "root": UserFactory(
            email="root@example.vn",
            agency=agency_admin.agency,
            is_staff=True,
            is_superuser=True,
        ),
    }


def form_data(response) -> dict:
    """What a browser would send back from an admin change form, unchanged."""
    data = {}
    adminform = response.context["adminform"].form
    for name, field in adminform.fields.items():
        if field.disabled:
            continue
        value = adminform[name].value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        elif isinstance(value, list):
            value = [str(v) for v in value]
        data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, field in formset.management_form.fields.items():
            key = f"{formset.prefix}-{name}"
            data[key] = formset.management_form[name].value() or field.initial or 0
        for form in formset.initial_forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None and value is not False:
                    data[form.add_prefix(name)] = "on" if value is True else value
    return data


def listed(response) -> set[str]:
    return {user.email for user in response.context["cl"].result_list}


# --- agency administrator ----------------------------------------------------------------------


def test_agency_admin_sees_only_own_agency_staff(client, agency_admin, people):
    client.force_login(agency_admin)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response) == {"quantri@so.example.vn", "colleague@so.example.vn"}
    html = response.content.decode()
    assert "colleague@so.example.vn" in html
    for email in ("outsider@other.example.vn", "citizen@example.vn", "root@example.vn"):
        assert email not in html


def test_agency_admin_search_does_not_reach_other_agencies(client, agency_admin, people):
    client.force_login(agency_admin)
    response = client.get(CHANGELIST, {"q": "example"})
    assert listed(response) == {"quantri@so.example.vn", "colleague@so.example.vn"}


@pytest.mark.parametrize("who", ["outsider", "citizen", "root"])
def test_agency_admin_cannot_open_someone_elses_change_page(client, agency_admin, people, who):
    client.force_login(agency_admin)
    response = client.get(change_url(people[who]))
    assert response.status_code in {302, 404}
    if response.status_code == 302:
        assert response.url == reverse("admin:index")


def test_agency_admin_cannot_change_an_outsider_by_post(client, agency_admin, people):
    outsider = people["outsider"]
    client.force_login(agency_admin)
    response = client.post(
        change_url(outsider),
        {"email": outsider.email, "full_name": "Đổi Tên", "language": "vi", "is_active": "on"},
    )
    assert response.status_code in {302, 404}
    outsider.refresh_from_db()
    assert outsider.full_name != "Đổi Tên"


@pytest.mark.parametrize("who", ["outsider", "root"])
def test_agency_admin_cannot_reset_someone_elses_password(client, agency_admin, people, who):
    target = people[who]
    client.force_login(agency_admin)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"password1": "Chiem-quyen-2025", "password2": "Chiem-quyen-2025"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert not target.check_password("Chiem-quyen-2025")


def test_agency_admin_can_edit_a_colleague(client, agency_admin, people):
    colleague = people["colleague"]
    client.force_login(agency_admin)
    response = client.get(change_url(colleague))
    assert response.status_code == 200
    data = form_data(response)
    data["full_name"] = "Trần Thị Bình"
    response = client.post(change_url(colleague), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    colleague.refresh_from_db()
    assert colleague.full_name == "Trần Thị Bình"
    assert colleague.agency == agency_admin.agency


def test_agency_admin_cannot_move_a_colleague_to_another_agency(client, agency_admin, people):
    colleague = people["colleague"]
    name_before = colleague.full_name
    other = people["outsider"].agency
    client.force_login(agency_admin)
    data = form_data(client.get(change_url(colleague)))
    data.update(agency=str(other.pk), full_name="Đổi Tên")
    response = client.post(change_url(colleague), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["agency"]] == ["invalid_choice"]
    colleague.refresh_from_db()
    assert colleague.agency == agency_admin.agency
    assert colleague.full_name == name_before


def test_change_form_does_not_offer_superuser_rights(client, agency_admin, people):
    client.force_login(agency_admin)
    response = client.get(change_url(people["colleague"]))
    assert response.status_code == 200
    fields = response.context["adminform"].form.fields
    assert "is_superuser" not in fields
    assert "groups" not in fields
    assert "user_permissions" not in fields
    assert "is_staff" in fields  # the admin may still give a colleague admin-site access
    html = response.content.decode()
    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html


def test_posting_superuser_rights_is_ignored(client, agency_admin, people):
    colleague = people["colleague"]
    client.force_login(agency_admin)
    data = form_data(client.get(change_url(colleague)))
    data.update(is_superuser="on", user_permissions=["1"], groups=["1"])
    response = client.post(change_url(colleague), data)
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.is_superuser is False
    assert not colleague.user_permissions.exists()


def test_agency_field_offers_only_own_agency(client, agency_admin, people):
    client.force_login(agency_admin)
    response = client.get(ADD)
    assert response.status_code == 200
    choices = list(response.context["adminform"].form.fields["agency"].queryset)
    assert choices == [agency_admin.agency]


def add_data(**overrides) -> dict:
    data = {
        "email": "New.Officer@So.Example.vn",
        "full_name": "Lê Văn Mới",
        "password1": "Mat-khau-moi-2025",
        "password2": "Mat-khau-moi-2025",
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_add_user_forces_own_agency(client, agency_admin, people):
    client.force_login(agency_admin)
    response = client.post(ADD, add_data())
    assert response.status_code == 302
    created = User.objects.get(email__iexact="new.officer@so.example.vn")
    assert created.email == "new.officer@so.example.vn"
    assert created.agency == agency_admin.agency
    assert created.is_superuser is False
    assert created.check_password("Mat-khau-moi-2025")


def test_add_user_with_a_role(client, agency_admin, people):
    client.force_login(agency_admin)
    data = add_data(**{"roles-TOTAL_FORMS": "1", "roles-0-role": "specialist"})
    response = client.post(ADD, data)
    assert response.status_code == 302
    created = User.objects.get(email__iexact="new.officer@so.example.vn")
    assert created.agency == agency_admin.agency
    assert list(created.roles.values_list("role", flat=True)) == ["specialist"]


def test_add_user_in_another_agency_is_refused(client, agency_admin, people):
    other = people["outsider"].agency
    client.force_login(agency_admin)
    count = User.objects.count()
    response = client.post(ADD, add_data(agency=str(other.pk)))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["agency"]] == ["invalid_choice"]
    assert User.objects.count() == count
    assert not other.staff.filter(email__iexact="new.officer@so.example.vn").exists()


def test_agency_admin_cannot_add_a_superuser(client, agency_admin, people):
    client.force_login(agency_admin)
    response = client.post(ADD, add_data(is_superuser="on", is_staff="on"))
    assert response.status_code == 302
    assert User.objects.get(email__iexact="new.officer@so.example.vn").is_superuser is False


def test_agency_admin_cannot_delete_users(client, agency_admin, people):
    colleague = people["colleague"]
    client.force_login(agency_admin)
    url = reverse("admin:portal_user_delete", args=[colleague.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=colleague.pk).exists()


# --- no admin access ---------------------------------------------------------------------------


def test_desk_officer_without_staff_flag_cannot_open_admin(client):
    officer = OfficerFactory(roles=["desk"], is_staff=False)
    client.force_login(officer)
    for url in (reverse("admin:index"), CHANGELIST):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_agency_admin_without_staff_flag_cannot_open_admin(client):
    officer = OfficerFactory(roles=["agency_admin"], is_staff=False)
    client.force_login(officer)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_desk_officer_without_admin_role_sees_no_users(client):
    officer = OfficerFactory(roles=["desk"], is_staff=True)
    client.force_login(officer)
    assert client.get(CHANGELIST).status_code == 403


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- superuser ---------------------------------------------------------------------------------


def test_superuser_sees_all_users(client, agency_admin, people):
    client.force_login(people["root"])
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response) == set(User.objects.values_list("email", flat=True))
    assert len(listed(response)) == 5


def test_superuser_change_form_offers_superuser_rights(client, agency_admin, people):
    client.force_login(people["root"])
    response = client.get(change_url(people["outsider"]))
    assert response.status_code == 200
    assert "is_superuser" in response.context["adminform"].form.fields


def test_superuser_can_add_a_user_in_any_agency(client, people):
    other = AgencyFactory()
    client.force_login(people["root"])
    response = client.post(ADD, add_data(agency=str(other.pk)))
    assert response.status_code == 302
    assert User.objects.get(email__iexact="new.officer@so.example.vn").agency == other


def test_staff_roles_are_listed_in_the_admin(client, agency_admin, people):
    client.force_login(agency_admin)
    response = client.get(change_url(people["colleague"]))
    roles = [f.instance.role for f in response.context["inline_admin_formsets"][0].formset.forms]
    assert StaffRole.Role.DESK in roles


def test_a_staff_role_needs_an_agency(client, people):
    client.force_login(people["root"])
    count = User.objects.count()
    data = add_data(**{"roles-TOTAL_FORMS": "1", "roles-0-role": "desk", "agency": ""})
    response = client.post(ADD, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert [e.code for e in errors.as_data()] == ["role_without_agency"]
    assert User.objects.count() == count


def test_staff_of_no_agency_manage_nobody(client, people):
    stray = UserFactory(email="stray@example.vn", is_staff=True, roles=[])
    client.force_login(stray)
    response = client.get(reverse("admin:portal_user_changelist"))
    assert response.status_code == 403  # no role, no permission: not even the list


@pytest.mark.parametrize("typed", ["0100686344", "01-0068", "abcdefghij"])
def test_an_agency_s_tax_code_is_checked_before_it_is_printed_on_receipts(english, typed):
    """The tax code an agency's fee e-receipts print (Decree 123/2020/NĐ-CP Art. 32: the
    collecting body's tax code) is a Vietnamese tax code with its check digit (python-stdnum):
    a wrong one is refused at its field, with what to enter, and nothing is saved."""
    from portal.models import Agency

    agency = Agency.objects.create(
        code="000.00.12.H26", name="Sở Giáo dục và Đào tạo Hà Nội", level="province_committee"
    )
    agency.tax_code = typed
    with pytest.raises(ValidationError) as refused:
        agency.full_clean()
    assert refused.value.message_dict["tax_code"] == [
        "Enter the tax code of 10 digits (13 for a branch)."
    ]
    assert Agency.objects.get(pk=agency.pk).tax_code == ""
    agency.tax_code = "0100 686 343"  # spaces typed: kept compact
    agency.full_clean()
    assert agency.tax_code == "0100686343"
