"""Demo data for the quickstart and the tests: agencies and one user per role.

The codes follow QCVN 102:2016; the provincial and commune codes are illustrative.
"""

from django.db import transaction
from django.utils import timezone

from portal import second_factor
from portal.models import Agency, StaffRole, User

DEMO_PASSWORD = "DemoPortal@2026"  # noqa: S105 - printed by `make run`; demo accounts only
SUPERUSER_EMAIL = "admin@demo.dvc.vn"

AGENCIES = [
    # code, name, short name, level, parent code: the ministry apart; since 1 July 2025 the
    # city's People's Committee above its department and its wards (two-tier local government).
    ("000.00.00.G03", "Bộ Giáo dục và Đào tạo", "Bộ GD&ĐT", Agency.Level.MINISTRY, None),
    ("000.00.00.H26", "Ủy ban nhân dân thành phố Hà Nội", "UBND thành phố Hà Nội",
     Agency.Level.PROVINCE_COMMITTEE, None),
    ("000.00.12.H26", "Sở Giáo dục và Đào tạo Hà Nội", "Sở GD&ĐT Hà Nội", Agency.Level.PROVINCE,
     "000.00.00.H26"),
    ("000.25.12.H26", "Ủy ban nhân dân phường Ba Đình", "UBND phường Ba Đình",
     Agency.Level.COMMUNE, "000.00.00.H26"),
]  # fmt: skip
# The abbreviation in each body's document symbols (15/QĐ-SGDĐT): the ministry's is BGDĐT, a
# People's Committee's UBND (the place is in the heading, not the symbol).
ABBREVIATIONS = {
    "000.00.00.G03": "BGDĐT",
    "000.00.00.H26": "UBND",
    "000.00.12.H26": "SGDĐT",
    "000.25.12.H26": "UBND",
    "000.26.12.H26": "TTPVHCC",
}

PROVINCE = "000.00.12.H26"
COMMUNE = "000.25.12.H26"
# The commune's Public Administration Service Centre (Decree 118/2025/NĐ-CP): it receives the
# commune committee's dossiers and returns their results (liên thông). Illustrative code.
CENTRE = ("000.26.12.H26", "Trung tâm Phục vụ hành chính công phường Ba Đình",
          "TTPVHCC phường Ba Đình", Agency.Level.COMMUNE)  # fmt: skip

# What the papers print: place name, the head (signs Mẫu 04), the tax code on fee receipts
# (illustrative names and codes).
PAPERS = {
    PROVINCE: {"place_name": "Hà Nội", "head_title": "Giám đốc", "head_name": "Trần Văn Quang",
               "tax_code": "0100686343"},
    COMMUNE: {"place_name": "Ba Đình", "head_title": "Chủ tịch", "head_name": "Ngô Thị Minh",
              "tax_code": "0110793506"},
    CENTRE[0]: {"place_name": "Ba Đình", "head_title": "Giám đốc", "head_name": "Lý Văn Nam"},
}  # fmt: skip
# A leader's position and how they sign the agency's results (KT.: on behalf of the head).
SIGNERS = {
    "lanhdao@demo.dvc.vn": ("Phó Giám đốc", "kt"),
    "lanhdao.badinh@demo.dvc.vn": ("Phó Chủ tịch", "kt"),
}

USERS = [
    # email, full name, agency code, roles, Django admin access
    (SUPERUSER_EMAIL, "Quản trị hệ thống", None, [], True),
    ("congdan@demo.dvc.vn", "Nguyễn Văn An", None, [], False),
    ("motcua@demo.dvc.vn", "Trần Thị Bình", PROVINCE, [StaffRole.Role.DESK], False),
    ("chuyenvien@demo.dvc.vn", "Lê Văn Cường", PROVINCE, [StaffRole.Role.SPECIALIST], False),
    ("lanhdao@demo.dvc.vn", "Phạm Thị Dung", PROVINCE, [StaffRole.Role.LEADER], False),
    ("quantri.so@demo.dvc.vn", "Hoàng Văn Em", PROVINCE, [StaffRole.Role.AGENCY_ADMIN], True),
    ("tiepnhan.badinh@demo.dvc.vn", "Đặng Thị Giang", CENTRE[0], [StaffRole.Role.DESK], False),
    ("motcua.badinh@demo.dvc.vn", "Bùi Văn Hải", COMMUNE, [StaffRole.Role.DESK], False),
    ("chuyenvien.badinh@demo.dvc.vn", "Vũ Thị Hoa", COMMUNE, [StaffRole.Role.SPECIALIST], False),
    ("lanhdao.badinh@demo.dvc.vn", "Đỗ Văn Hùng", COMMUNE, [StaffRole.Role.LEADER], False),
]

# The leaders' demo signing tokens (SoftHSM2, `make_leader_token`), one for each leader in
# SIGNERS (whose position and authority the papers print). Results of the demo agencies need
# both signatures.
DEMO_TOKEN_PIN = "246810"  # noqa: S105 - printed by `make run`; demo tokens only

# The demo staff's second factor (portal.second_factor): every demo staff account has an
# authenticator app with this secret, RFC 6238's own test key ("12345678901234567890"), so the
# README can say how to sign in: add it to an app, or print the current code with
# `manage.py demo_totp EMAIL` (refused in production).
DEMO_TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # noqa: S105 - demo accounts only
PERSONAL_SIGNATURE_AGENCIES = (PROVINCE, COMMUNE)

CITIZEN_PROFILE = {
    "phone": "0912345678",
    "citizen_id": "001090012345",
    "gender": User.Gender.MALE,
    "address": "12 Phố Điện Biên Phủ, phường Ba Đình, Hà Nội",
}


@transaction.atomic
def seed() -> list[tuple[str, str]]:
    """Create or refresh the demo data; running it again changes nothing. Returns the logins."""
    import datetime

    by_code = {}
    for code, name, short_name, level, parent in AGENCIES:
        agency, _ = Agency.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short_name,
                "abbreviation": ABBREVIATIONS[code],
                "level": level,
                "parent": by_code.get(parent),
                "requires_personal_signature": code in PERSONAL_SIGNATURE_AGENCIES,
            },
        )
        by_code[code] = agency
    code, name, short_name, level = CENTRE
    by_code[code], _ = Agency.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "short_name": short_name,
            "abbreviation": ABBREVIATIONS[code],
            "level": level,
            "kind": Agency.Kind.SERVICE_CENTRE,
            "parent": by_code[COMMUNE],  # the ward's centre, under its People's Committee
        },
    )
    Agency.objects.filter(code=COMMUNE).update(service_centre=by_code[code])
    for agency_code, papers in PAPERS.items():
        Agency.objects.filter(code=agency_code).update(**papers)

    logins = []
    for email, full_name, agency_code, roles, is_staff in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email)
            user.set_password(DEMO_PASSWORD)
        user.full_name = full_name
        user.agency = by_code.get(agency_code)
        user.is_staff = is_staff
        user.is_superuser = email.startswith("admin@")
        user.position, user.signing_authority = SIGNERS.get(email, ("", ""))
        if agency_code is None and not is_staff:
            for field, value in CITIZEN_PROFILE.items():
                setattr(user, field, value)
            user.date_of_birth = datetime.date(1990, 5, 17)
            # The demo citizen's made-up address and phone count as confirmed (it files).
            user.email_confirmed_at = user.email_confirmed_at or timezone.now()
            user.phone_confirmed_at = user.phone_confirmed_at or timezone.now()
        user.save()
        for role in roles:
            StaffRole.objects.get_or_create(user=user, role=role)
        if second_factor.needs_second_factor(user):
            _demo_authenticator(user)
        label = ", ".join(str(StaffRole.Role(r).label) for r in roles) or (
            "superuser" if user.is_superuser else "citizen"
        )
        logins.append((email, label))
    return logins


def _demo_authenticator(user: User) -> None:
    """The demo secret's app, confirmed (kept as it is when already there: its last code used)."""
    from base64 import b32decode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = b32decode(DEMO_TOTP_SECRET).hex()
    if not TOTPDevice.objects.filter(user=user, key=key, confirmed=True).exists():
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, key=key, name="Demo", confirmed=True)


def leader_tokens(*, stdout) -> None:
    """A signing token for each demo leader (after `seed` and `make_demo_pki`)."""
    from django.core.management import call_command

    for email in SIGNERS:
        call_command("make_leader_token", email, "--pin", DEMO_TOKEN_PIN, stdout=stdout)
