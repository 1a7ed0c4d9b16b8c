"""The personal identification number (số định danh cá nhân, the CCCD number).

Structure (Decree 137/2015 Art. 13; Circular 07/2016 as replaced by 59/2021/TT-BCA):
``PPP G YY NNNNNN`` — the province where the birth was registered, a digit for the century and
gender, the last two digits of the birth year, six random digits. There is no check digit, so all
that can be checked is the shape, a known province and a plausible birth year and gender.
"""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Province codes of the 63 provinces and cities before the 2025 mergers; numbers issued since keep
# the code of the province where the birth was registered.
PROVINCE_CODES = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
    "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
    "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip

# [0-9], not \d: \d also matches other scripts' digits (e.g. fullwidth ones), which int() reads.
_SHAPE = re.compile(r"[0-9]{12}")
_LEGACY_CMND = re.compile(r"[0-9]{9}")


@dataclass(frozen=True)
class CitizenId:
    number: str
    province: str
    birth_year: int
    gender: str  # "male" | "female"


def parse(number: str, *, today: datetime.date | None = None, abroad: bool = False) -> CitizenId:
    """Parse a 12-digit number, or raise ValidationError saying what is wrong with it.

    `abroad`: the holder's birth was registered abroad, so the first 3 digits are the code of
    the country where it was (Circular 59/2021/TT-BCA, as we read it: the list of those codes
    was not found here, see the README); they must then not be a province's code."""
    number = (number or "").strip()
    if not _SHAPE.fullmatch(number):
        raise ValidationError(
            _("A citizen ID number has exactly 12 digits."), code="citizen_id_shape"
        )
    province = number[:3]
    if abroad:
        if province in PROVINCE_CODES:
            raise ValidationError(
                _(
                    "%(code)s is the code of a province (%(name)s), not of a country: this "
                    "number is of a birth registered in Viet Nam."
                ),
                code="citizen_id_not_abroad",
                params={"code": province, "name": PROVINCE_CODES[province]},
            )
    elif province not in PROVINCE_CODES:
        raise ValidationError(
            _("%(code)s is not a known province code: the first 3 digits are wrong."),
            code="citizen_id_province",
            params={"code": province},
        )
    g = int(number[3])
    # 0/1 = 20th century male/female, 2/3 = 21st, 4/5 = 22nd, 6/7 = 23rd, 8/9 = 24th.
    century = 1900 + 100 * (g // 2)
    birth_year = century + int(number[4:6])
    today = today or datetime.date.today()  # noqa: DTZ011 - a calendar year, not an instant
    if birth_year > today.year:
        raise ValidationError(
            _("The 4th to 6th digits give a birth year (%(year)s) in the future."),
            code="citizen_id_year",
            params={"year": birth_year},
        )
    return CitizenId(number, province, birth_year, "female" if g % 2 else "male")


def validate_citizen_id(value: str) -> None:
    parse(value)


def validate_citizen_id_abroad(value: str) -> None:
    """A citizen ID of a birth registered abroad (its first digits a country's code)."""
    parse(value, abroad=True)


def check_consistent(
    number: str, *, date_of_birth: datetime.date | None, gender: str | None
) -> list[ValidationError]:
    """Errors where a valid number disagrees with the date of birth or gender given with it."""
    try:
        parsed = parse(number)
    except ValidationError as exc:
        return [exc]
    errors = []
    if date_of_birth and date_of_birth.year != parsed.birth_year:
        errors.append(
            ValidationError(
                _(
                    "This citizen ID number belongs to someone born in %(id_year)s, "
                    "but the date of birth is in %(dob_year)s."
                ),
                code="citizen_id_birth_year",
                params={"id_year": parsed.birth_year, "dob_year": date_of_birth.year},
            )
        )
    if gender in {"male", "female"} and gender != parsed.gender:
        errors.append(
            ValidationError(
                _("The 4th digit of this citizen ID number does not match the gender given."),
                code="citizen_id_gender",
            )
        )
    return errors


def is_legacy_cmnd(number: str) -> bool:
    """Old 9-digit identity card numbers (CMND), accepted only on imported old records."""
    return bool(_LEGACY_CMND.fullmatch((number or "").strip()))
