import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from demo import people as demo
from portal.models import Agency, StaffRole, User

BASE_DIR = Path(__file__).resolve().parents[2]


# --- seed_demo ---------------------------------------------------------------------------------


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--without-catalogue", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return Agency.objects.count(), User.objects.count(), StaffRole.objects.count()


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    first_output = seed()
    first = counts()
    # The agencies and the commune's service centre; one role per staff account.
    assert first == (len(demo.AGENCIES) + 1, len(demo.USERS), 8)
    centre = Agency.objects.get(code=demo.CENTRE[0])
    assert centre.is_service_centre
    assert list(centre.served_agencies.values_list("code", flat=True)) == [demo.COMMUNE]
    from signing.models import SigningCertificate

    certificates = SigningCertificate.objects.count()
    assert certificates == len(demo.AGENCIES) + 1  # the demo PKI: one per agency and centre
    second_output = seed()
    assert counts() == first
    assert SigningCertificate.objects.count() == certificates

    def logins(output):
        return output[output.index("Demo data ready") :]

    assert logins(second_output) == logins(first_output)
    assert "certificate for" in first_output and "certificate for" not in second_output


@pytest.mark.django_db
def test_seed_demo_prints_every_login():
    output = seed()
    assert demo.DEMO_PASSWORD in output
    for email, *_ in demo.USERS:
        assert email in output


@pytest.mark.django_db
def test_seed_demo_refreshes_edited_data_and_keeps_other_rows():
    seed()
    Agency.objects.filter(code="000.00.00.G03").update(name="Đã sửa")
    bystander = User.objects.create_user("bystander@example.vn", "x", full_name="Người Khác")
    seed()
    assert Agency.objects.get(code="000.00.00.G03").name == "Bộ Giáo dục và Đào tạo"
    assert User.objects.filter(pk=bystander.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("email", [email for email, *_ in demo.USERS])
def test_demo_password_logs_in(client, email):
    seed()
    assert client.login(email=email, password=demo.DEMO_PASSWORD)
    assert not client.login(email=email, password=demo.DEMO_PASSWORD + "x")


@pytest.mark.django_db
def test_seed_demo_keeps_a_changed_password():
    seed()
    user = User.objects.get(email="congdan@demo.dvc.vn")
    user.set_password("Mat-khau-rieng-2025")
    user.save()
    seed()
    user.refresh_from_db()
    assert user.check_password("Mat-khau-rieng-2025")


@pytest.mark.django_db
def test_demo_agencies_form_the_tree():
    seed()
    ministry = Agency.objects.get(code="000.00.00.G03")
    assert ministry.level == Agency.Level.MINISTRY
    assert ministry.parent is None
    city = Agency.objects.get(code="000.00.00.H26")
    assert (city.level, city.parent) == (Agency.Level.PROVINCE_COMMITTEE, None)
    province = Agency.objects.get(code="000.00.12.H26")
    assert (province.level, province.parent) == (Agency.Level.PROVINCE, city)
    commune = Agency.objects.get(code="000.25.12.H26")
    assert (commune.level, commune.parent) == (Agency.Level.COMMUNE, city)
    centre = Agency.objects.get(code=demo.CENTRE[0])
    assert city.descendant_ids() == {province.pk, commune.pk, centre.pk}
    assert ministry.descendant_ids() == set()  # the ministry apart from local government
    assert commune.ancestor_ids() == [city.pk]


@pytest.mark.django_db
def test_demo_users_have_their_roles_and_rights():
    seed()
    admin = User.objects.get(email="admin@demo.dvc.vn")
    assert (admin.is_superuser, admin.is_staff, admin.agency) == (True, True, None)
    citizen = User.objects.get(email="congdan@demo.dvc.vn")
    assert (citizen.is_staff, citizen.agency, citizen.role_names) == (False, None, frozenset())
    assert citizen.citizen_id == demo.CITIZEN_PROFILE["citizen_id"]
    desk = User.objects.get(email="motcua@demo.dvc.vn")
    assert desk.agency.code == demo.PROVINCE
    assert desk.role_names == {"desk"}
    assert desk.is_officer
    agency_admin = User.objects.get(email="quantri.so@demo.dvc.vn")
    assert agency_admin.role_names == {"agency_admin"}
    assert (agency_admin.is_staff, agency_admin.is_superuser) == (True, False)
    assert agency_admin.has_perm("portal.change_user")
    assert not desk.has_perm("portal.change_user")


@pytest.mark.django_db
def test_demo_data_passes_model_validation():
    seed()
    for agency in Agency.objects.all():
        agency.full_clean()
    for user in User.objects.all():
        user.full_clean()


# --- Agency validation -------------------------------------------------------------------------


@pytest.mark.django_db
def test_agency_clean_follows_the_two_tier_local_government():
    """Since 1 July 2025 (Decree 142/2025/NĐ-CP; Circular 15/2025/TT-BGDĐT for education): the
    province's People's Committee above its departments and communes; the ministry apart."""
    ministry = Agency.objects.create(code="000.00.00.G03", name="Bộ", level="ministry")
    city = Agency.objects.create(code="000.00.00.H26", name="UBND TP", level="province_committee")
    province = Agency.objects.create(code="000.00.12.H26", name="Sở", level="province", parent=city)
    commune = Agency.objects.create(code="000.25.12.H26", name="Xã A", level="commune", parent=city)
    for wrong in (
        Agency(code="000.26.12.H26", name="Xã B", level="commune", parent=commune),
        Agency(code="000.26.12.H26", name="Xã B", level="commune", parent=province),
        Agency(code="000.00.13.H26", name="Sở B", level="province", parent=ministry),
        Agency(code="000.00.13.H27", name="Sở B", level="province", parent=province),
        Agency(code="000.00.00.G04", name="Bộ B", level="ministry", parent=ministry),
        Agency(code="000.00.00.H27", name="UBND B", level="province_committee", parent=city),
    ):
        with pytest.raises(ValidationError) as excinfo:
            wrong.clean()
        assert set(excinfo.value.message_dict) == {"parent"}, wrong.name
    Agency(code="000.26.12.H26", name="Xã B", level="commune", parent=city).clean()
    Agency(code="000.00.13.H26", name="Sở B", level="province", parent=city).clean()
    centre = Agency(code="000.27.12.H26", name="TT", level="commune", kind="service_centre")
    centre.clean()  # alone, or under a People's Committee
    centre.parent = commune
    centre.clean()
    centre.parent = province
    with pytest.raises(ValidationError):
        centre.clean()


@pytest.mark.parametrize("level", ["province", "commune"])
def test_agency_clean_rejects_a_department_or_commune_without_a_parent(level):
    with pytest.raises(ValidationError) as excinfo:
        Agency(code="000.00.12.H26", name="Sở", level=level).clean()
    assert set(excinfo.value.message_dict) == {"parent"}


@pytest.mark.parametrize("level", ["ministry", "province_committee"])
def test_agency_clean_accepts_a_ministry_or_a_province_committee_at_the_top(level):
    Agency(code="000.00.00.G03", name="Bộ", level=level).clean()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["000.A0.01.H26", "0A1.00.12.H26", "000.00.00.G03"])
def test_agency_codes_take_the_code_alphabet(code):
    """Decision 20/2020/QĐ-TTg Art. 4 (as amended by Decision 09/2025/QĐ-TTg): digits and capital
    letters; the level-1 group (QCVN 102:2016, rightmost) is a letter and two digits."""
    Agency(code=code, name="X", level="ministry").full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["000.a0.01.H26", "000.00.01.26H", "000.0.01.H26", "000.00.01.H2"])
def test_agency_codes_outside_the_alphabet_or_shape_are_refused(code):
    with pytest.raises(ValidationError) as excinfo:
        Agency(code=code, name="X", level="ministry").full_clean()
    assert "code" in excinfo.value.message_dict


@pytest.mark.django_db
def test_agency_cannot_be_placed_under_itself_or_a_descendant():
    ministry = Agency.objects.create(code="000.00.00.G03", name="Bộ", level="ministry")
    province = Agency.objects.create(
        code="000.00.12.H26", name="Sở", level="province", parent=ministry
    )
    commune = Agency.objects.create(
        code="000.25.12.H26", name="Xã", level="commune", parent=province
    )
    # The descendant case first: commune.parent.parent is this same `ministry` object, so the
    # walk up from the new parent comes back round to it.
    ministry.parent = commune
    itself = Agency.objects.get(pk=province.pk)
    itself.parent = itself
    for agency in (ministry, itself):
        with translation.override("en"):
            with pytest.raises(ValidationError) as excinfo:
                agency.clean()
            assert excinfo.value.message_dict == {
                "parent": ["An agency cannot be placed under itself."]
            }


@pytest.mark.django_db
def test_ancestor_ids_stops_at_a_cycle_in_the_database():
    ministry = Agency.objects.create(code="000.00.00.G03", name="Bộ", level="ministry")
    province = Agency.objects.create(
        code="000.00.12.H26", name="Sở", level="province", parent=ministry
    )
    Agency.objects.filter(pk=ministry.pk).update(parent=province)  # bypasses clean()
    assert Agency.objects.get(pk=province.pk).ancestor_ids() == [ministry.pk, province.pk]


def _code_errors(code: str) -> list[str]:
    try:
        Agency._meta.get_field("code").run_validators(code)
    except ValidationError as exc:
        return [e.code for e in exc.error_list]
    return []


@pytest.mark.parametrize(
    "code", ["000.00.00.G03", "000.00.12.H26", "000.25.12.H26", "123.45.67.Z89"]
)
def test_agency_code_validator_accepts_qcvn_codes(code):
    assert _code_errors(code) == []


@pytest.mark.parametrize(
    "code",
    [
        "G03",
        "000.00.00.g03",
        "000.00.00.G3",
        "00.00.00.G03",
        "000-00-00-G03",
        "000.00.00.G03x",
        "x000.00.00.G03",
        "1000.00.00.G03",
        "000.00.00.G03\n",
        "000.00.00.G03 000.00.00.G04",
        "０００.００.００.G０３",  # fullwidth digits
    ],
)
def test_agency_code_validator_rejects_other_shapes(code):
    assert _code_errors(code) == ["invalid"]


# --- production settings -----------------------------------------------------------------------

# Variables that settings.py reads and that must not leak from the developer's shell.
_SETTINGS_VARS = {
    "DATABASE_URL",
    "REDIS_URL",
    "PORTAL_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "EMAIL_URL",
    "SIGNING_KEK",
    "SIGNING_KEK_OLD",
    "PAYMENT_SIMULATOR",
    "VNPAY_TMN_CODE",
    "VNPAY_HASH_SECRET",
    "VNPAY_PAYMENT_URL",
    "VNPAY_API_URL",
    "CACHE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by tests/conftest.py for Playwright; never in production
}


def manage(*args: str, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS_VARS}
    env["PORTAL_ENV"] = "production"
    env["SIGNING_KEK"] = "c2lnbmluZy1rZWstZm9yLXNldHRpbmdzLXRlc3RzISE="
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def random_secret_key() -> str:
    return secrets.token_hex(32)  # 64 characters


def test_production_refuses_to_start_without_secret_key():
    result = manage("check", ALLOWED_HOSTS="portal.example.vn")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "secret_key",
    ["too-short-" * 4, "dev-insecure-only-for-the-quickstart-never-in-production"],
)
def test_production_refuses_a_weak_secret_key(secret_key):
    result = manage("check", SECRET_KEY=secret_key, ALLOWED_HOSTS="portal.example.vn")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", SECRET_KEY=random_secret_key())
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_deploy_check_passes():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="portal.example.vn",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_debug():
    result = manage(
        "check",
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="portal.example.vn",
        DEBUG="true",
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG" in result.stderr


def test_production_refuses_to_start_without_a_signing_kek():
    result = manage(
        "check", SECRET_KEY=random_secret_key(), ALLOWED_HOSTS="portal.example.vn", SIGNING_KEK=""
    )
    assert result.returncode != 0
    assert "SIGNING_KEK" in result.stderr


def test_unknown_portal_env_is_refused():
    result = manage("check", PORTAL_ENV="staging")
    assert result.returncode != 0
    assert "PORTAL_ENV" in result.stderr


def test_development_settings_start_without_any_variable():
    result = manage("check", PORTAL_ENV="development")
    assert result.returncode == 0, result.stderr
