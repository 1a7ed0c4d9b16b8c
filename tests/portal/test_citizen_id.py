import datetime

import pytest
from django.core.exceptions import ValidationError

from portal import citizen_id
from portal.citizen_id import CitizenId, check_consistent, is_legacy_cmnd, parse

TODAY = datetime.date(2025, 6, 1)


def _code(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return excinfo.value.code


# --- parse: valid numbers ----------------------------------------------------------------------


def test_parse_hanoi_male_born_1990():
    assert parse("001090012345", today=TODAY) == CitizenId(
        number="001090012345", province="001", birth_year=1990, gender="male"
    )


def test_parse_hcmc_female_born_2005():
    assert parse("079305001234", today=TODAY) == CitizenId(
        number="079305001234", province="079", birth_year=2005, gender="female"
    )


def test_province_codes_name_hanoi_and_hcmc():
    assert citizen_id.PROVINCE_CODES["001"] == "Hà Nội"
    assert citizen_id.PROVINCE_CODES["079"] == "Hồ Chí Minh"


@pytest.mark.parametrize(
    ("number", "year", "gender"),
    [
        ("001000000001", 1900, "male"),
        ("001199000001", 1999, "female"),
        ("001200000001", 2000, "male"),
        ("001325000001", 2025, "female"),  # this year is not in the future
    ],
)
def test_parse_reads_century_and_gender_from_the_fourth_digit(number, year, gender):
    parsed = parse(number, today=TODAY)
    assert (parsed.birth_year, parsed.gender) == (year, gender)


def test_parse_strips_surrounding_whitespace():
    assert parse("  001090012345\n", today=TODAY).number == "001090012345"


# --- parse: invalid numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "",
        None,
        "00109001234",  # 11 digits
        "0010900123456",  # 13 digits
        "00109001234a",
        "001-90-012345",
        "001 090 012345",
        "001０９０012345",  # fullwidth digits would otherwise pass as 001 0 90
        "٠٠١٠٩٠٠١٢٣٤٥",  # Arabic-Indic digits
    ],
)
def test_parse_rejects_wrong_shape(number):
    with pytest.raises(ValidationError) as excinfo:
        parse(number, today=TODAY)
    assert _code(excinfo) == "citizen_id_shape"


@pytest.mark.parametrize("number", ["003090012345", "000090012345", "097090012345"])
def test_parse_rejects_unknown_province(number):
    with pytest.raises(ValidationError) as excinfo:
        parse(number, today=TODAY)
    assert _code(excinfo) == "citizen_id_province"
    assert excinfo.value.params == {"code": number[:3]}


@pytest.mark.parametrize(
    ("number", "year"),
    [
        ("001299012345", 2099),
        ("001326012345", 2026),  # next year, the first year that is in the future
        ("001400012345", 2100),
    ],
)
def test_parse_rejects_birth_year_in_the_future(number, year):
    with pytest.raises(ValidationError) as excinfo:
        parse(number, today=TODAY)
    assert _code(excinfo) == "citizen_id_year"
    assert excinfo.value.params == {"year": year}


def test_parse_defaults_to_todays_date():
    # 2099 is in the future whenever this runs; 1990 is not.
    with pytest.raises(ValidationError) as excinfo:
        parse("001299012345")
    assert _code(excinfo) == "citizen_id_year"
    assert parse("001090012345").birth_year == 1990


def test_validate_citizen_id_raises_the_parse_error():
    citizen_id.validate_citizen_id("001090012345")
    with pytest.raises(ValidationError) as excinfo:
        citizen_id.validate_citizen_id("003090012345")
    assert _code(excinfo) == "citizen_id_province"


# --- check_consistent --------------------------------------------------------------------------


def test_consistent_number_gives_no_errors():
    assert (
        check_consistent("001090012345", date_of_birth=datetime.date(1990, 5, 17), gender="male")
        == []
    )
    assert (
        check_consistent("079305001234", date_of_birth=datetime.date(2005, 1, 1), gender="female")
        == []
    )


def test_missing_date_of_birth_and_gender_are_not_checked():
    assert check_consistent("001090012345", date_of_birth=None, gender=None) == []
    assert check_consistent("001090012345", date_of_birth=None, gender="") == []


def test_birth_year_mismatch():
    errors = check_consistent(
        "001090012345", date_of_birth=datetime.date(1991, 1, 1), gender="male"
    )
    assert [e.code for e in errors] == ["citizen_id_birth_year"]
    assert errors[0].params == {"id_year": 1990, "dob_year": 1991}


def test_birth_year_mismatch_across_centuries():
    # Same last two digits, other century: 2090 is not 1990.
    errors = check_consistent("079305001234", date_of_birth=datetime.date(1905, 1, 1), gender=None)
    assert [e.code for e in errors] == ["citizen_id_birth_year"]


def test_gender_mismatch():
    errors = check_consistent(
        "001090012345", date_of_birth=datetime.date(1990, 1, 1), gender="female"
    )
    assert [e.code for e in errors] == ["citizen_id_gender"]
    errors = check_consistent("079305001234", date_of_birth=None, gender="male")
    assert [e.code for e in errors] == ["citizen_id_gender"]


def test_birth_year_and_gender_mismatch_are_both_reported():
    errors = check_consistent(
        "001090012345", date_of_birth=datetime.date(2005, 1, 1), gender="female"
    )
    assert sorted(e.code for e in errors) == ["citizen_id_birth_year", "citizen_id_gender"]


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("12345", "citizen_id_shape"),
        ("003090012345", "citizen_id_province"),
        ("001299012345", "citizen_id_year"),
    ],
)
def test_check_consistent_returns_the_parse_error_of_an_invalid_number(number, code):
    errors = check_consistent(number, date_of_birth=datetime.date(1990, 1, 1), gender="male")
    assert [e.code for e in errors] == [code]


# --- legacy CMND -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("123456789", True),
        (" 123456789 ", True),
        ("12345678", False),
        ("1234567890", False),
        ("001090012345", False),
        ("12345678a", False),
        ("１２３４５６７８９", False),  # fullwidth digits
        ("", False),
        (None, False),
    ],
)
def test_is_legacy_cmnd(number, expected):
    assert is_legacy_cmnd(number) is expected


def test_a_legacy_cmnd_is_not_a_valid_citizen_id():
    with pytest.raises(ValidationError) as excinfo:
        parse("123456789", today=TODAY)
    assert _code(excinfo) == "citizen_id_shape"
