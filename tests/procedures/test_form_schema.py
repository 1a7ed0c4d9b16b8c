"""procedures/form_schema.py: every rule of the online form schema, one at a time."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from procedures.form_schema import FIELD_TYPES, schema_errors, validate_schema

VALID = [
    {
        "name": "full_name",
        "label": "Họ và tên",
        "type": "text",
        "required": True,
        "max_length": 100,
        "help_text": "Như trên căn cước",
    },
    {"name": "notes", "label": "Ghi chú", "type": "textarea", "max_length": 10000},
    {"name": "school_year", "label": "Năm tốt nghiệp", "type": "number", "min": 1975, "max": 2026},
    {"name": "score", "label": "Điểm", "type": "number", "min": 0.5, "max": 10},
    {
        "name": "born",
        "label": "Ngày sinh",
        "type": "date",
        "min": "1900-01-01",
        "max": "2025-12-31",
    },
    {
        "name": "copies",
        "label": "Số bản sao",
        "type": "choice",
        "choices": [{"value": "1", "label": "1 bản"}, {"value": "2", "label": "2 bản"}],
    },
    {
        "name": "subjects",
        "label": "Môn thi",
        "type": "multichoice",
        "choices": [{"value": "toan", "label": "Toán"}, {"value": "van", "label": "Ngữ văn"}],
    },
    {"name": "agree", "label": "Tôi cam đoan", "type": "checkbox", "required": False},
    {"name": "email", "label": "Thư điện tử", "type": "email"},
    {"name": "phone", "label": "Điện thoại", "type": "phone"},
    {"name": "citizen_id", "label": "Số định danh", "type": "citizen_id"},
]


def errors(schema) -> list[str]:
    with translation.override("en"):
        return schema_errors(schema)


def one_field(**field) -> list[str]:
    base = {"name": "f", "label": "Trường", "type": "text"}
    return errors([base | field])


def test_a_schema_using_every_type_and_constraint_is_valid():
    assert {f["type"] for f in VALID} == FIELD_TYPES
    assert errors(VALID) == []
    validate_schema(VALID)  # does not raise


def test_an_empty_list_is_a_valid_schema():
    assert errors([]) == []


@pytest.mark.parametrize("schema", [{}, {"name": "a"}, "[]", None, 3, ("a",)])
def test_the_schema_must_be_a_list(schema):
    assert errors(schema) == ["The form schema must be a list of fields."]


def test_at_most_200_fields():
    fields = [{"name": f"f{i}", "label": "x", "type": "text"} for i in range(201)]
    assert errors(fields) == ["The form schema has more than 200 fields."]
    assert errors(fields[:200]) == []


@pytest.mark.parametrize("field", ["full_name", ["full_name"], None, 1])
def test_each_field_must_be_an_object(field):
    assert errors([field]) == ["Field 1: each field must be an object."]


@pytest.mark.parametrize(
    "name",
    ["", "1abc", "_abc", "Ho_ten", "ho-ten", "họ_tên", "a b", "a" * 51, None, 7, ["a"]],
)
def test_bad_names(name):
    found = one_field(name=name)
    assert len(found) == 1
    assert "the name must start with a letter" in found[0]


@pytest.mark.parametrize("name", ["a", "a" * 50, "ho_ten_2", "x9"])
def test_good_names(name):
    assert one_field(name=name) == []


def test_a_missing_name_is_an_error():
    assert len(errors([{"label": "Họ tên", "type": "text"}])) == 1


def test_duplicate_names_are_flagged_on_the_second_use():
    schema = [
        {"name": "ho_ten", "label": "Họ tên", "type": "text"},
        {"name": "ngay_sinh", "label": "Ngày sinh", "type": "date"},
        {"name": "ho_ten", "label": "Họ tên lần nữa", "type": "text"},
    ]
    assert errors(schema) == ["Field 3: the name ho_ten is used twice."]


def test_messages_name_the_position_and_the_field():
    schema = [
        {"name": "a", "label": "A", "type": "text"},
        {"name": "b", "label": "B", "type": "text", "max_length": 0},
    ]
    assert errors(schema) == ["Field 2 (b): max_length must be a whole number from 1 to 10000."]


@pytest.mark.parametrize("label", [None, "", "   ", 5, "x" * 301])
def test_bad_labels(label):
    assert one_field(label=label) == ["Field 1 (f): give a label of at most 300 characters."]


def test_a_label_of_300_characters_is_accepted():
    assert one_field(label="x" * 300) == []


def test_a_missing_label_is_an_error():
    assert len(errors([{"name": "f", "type": "text"}])) == 1


@pytest.mark.parametrize("kind", ["string", "TEXT", "file", "", None, 1])
def test_unknown_types(kind):
    found = one_field(type=kind)
    assert len(found) == 1
    assert found[0].startswith("Field 1 (f): the type must be one of ")
    for known in FIELD_TYPES:
        assert known in found[0]


def test_a_missing_type_is_an_error():
    assert len(errors([{"name": "f", "label": "F"}])) == 1


def test_an_unknown_type_stops_the_checks_of_that_field():
    # choices on a field of unknown type would be a second error if the checks went on
    found = one_field(type="select", choices="x", min=1)
    assert len(found) == 1


@pytest.mark.parametrize("keys", [{"placeholder": "x"}, {"Required": True, "default": 1}])
def test_unknown_keys(keys):
    found = one_field(**keys)
    assert found == [f"Field 1: unknown keys {', '.join(sorted(keys))}."]


@pytest.mark.parametrize("value", ["yes", 1, 0, None, "true"])
def test_required_must_be_a_boolean(value):
    assert one_field(required=value) == ["Field 1 (f): required must be true or false."]


@pytest.mark.parametrize("value", [True, False])
def test_required_true_or_false(value):
    assert one_field(required=value) == []


@pytest.mark.parametrize("value", [None, 1, ["a"]])
def test_help_text_must_be_text(value):
    assert one_field(help_text=value) == ["Field 1 (f): help_text must be text."]


# --- choices -------------------------------------------------------------------------------------

GOOD_CHOICES = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]


@pytest.mark.parametrize("kind", sorted(FIELD_TYPES - {"choice", "multichoice"}))
def test_only_choice_fields_have_choices(kind):
    assert one_field(type=kind, choices=GOOD_CHOICES) == [
        "Field 1 (f): only choice fields have choices."
    ]


@pytest.mark.parametrize("kind", ["choice", "multichoice"])
@pytest.mark.parametrize("choices", [None, [], "a,b", {"a": "A"}])
def test_choice_fields_need_a_list_of_choices(kind, choices):
    field = {"name": "f", "label": "F", "type": kind}
    if choices is not None:
        field["choices"] = choices
    assert errors([field]) == ["Field 1 (f): list at least one choice."]


@pytest.mark.parametrize(
    "choice",
    [
        "a",
        {"value": "a"},
        {"label": "A"},
        {"value": "", "label": "A"},
        {"value": 1, "label": "A"},
        {"value": "a", "label": "  "},
        {"value": "a", "label": None},
    ],
)
def test_each_choice_needs_a_value_and_a_label(choice):
    assert one_field(type="choice", choices=[{"value": "z", "label": "Z"}, choice]) == [
        "Field 1 (f): each choice needs a value and a label (text)."
    ]


def test_two_choices_with_the_same_value():
    choices = [{"value": "a", "label": "A"}, {"value": "a", "label": "A again"}]
    assert one_field(type="multichoice", choices=choices) == [
        "Field 1 (f): two choices have the same value."
    ]


# --- min and max ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(FIELD_TYPES - {"number", "date"}))
@pytest.mark.parametrize("bound", [{"min": 1}, {"max": 1}, {"min": 1, "max": 2}])
def test_only_number_and_date_fields_have_min_max(kind, bound):
    field = {"name": "f", "label": "F", "type": kind, **bound}
    if kind in {"choice", "multichoice"}:
        field["choices"] = GOOD_CHOICES
    assert errors([field]) == ["Field 1 (f): only number and date fields have min/max."]


@pytest.mark.parametrize(
    "bound", [{"min": "1"}, {"max": True}, {"min": None}, {"min": 1, "max": [2]}]
)
def test_number_bounds_must_be_numbers(bound):
    assert one_field(type="number", **bound) == ["Field 1 (f): min and max must be numbers."]


@pytest.mark.parametrize(
    "bound", [{"min": 0}, {"max": -5}, {"min": -1.5, "max": 2}, {"min": 3, "max": 3}]
)
def test_good_number_bounds(bound):
    assert one_field(type="number", **bound) == []


@pytest.mark.parametrize(
    "bound",
    [
        {"min": "01/01/2000"},
        {"max": "2000-1-1"},
        {"min": 2000},
        {"min": "2000-01-01", "max": None},
        {"max": "2000-01-01T00:00"},
    ],
)
def test_date_bounds_must_be_iso_dates(bound):
    assert one_field(type="date", **bound) == [
        "Field 1 (f): min and max must be dates (YYYY-MM-DD)."
    ]


@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [("number", 10, 9), ("number", 0.5, 0.25), ("date", "2025-01-02", "2025-01-01")],
)
def test_min_greater_than_max(kind, low, high):
    assert one_field(type=kind, min=low, max=high) == ["Field 1 (f): min is greater than max."]


def test_equal_date_bounds_are_fine():
    assert one_field(type="date", min="2025-01-01", max="2025-01-01") == []


# --- max_length ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["number", "date", "checkbox", "email", "phone", "citizen_id"])
def test_only_text_fields_have_max_length(kind):
    assert one_field(type=kind, max_length=10) == ["Field 1 (f): only text fields have max_length."]


@pytest.mark.parametrize("value", [0, -1, 10001, 5.0, "10", True, None])
def test_max_length_range_and_type(value):
    assert one_field(type="textarea", max_length=value) == [
        "Field 1 (f): max_length must be a whole number from 1 to 10000."
    ]


@pytest.mark.parametrize("value", [1, 10000])
def test_max_length_bounds_are_inclusive(value):
    assert one_field(max_length=value) == []


# --- several problems at once, and the validator -----------------------------------------------


def test_every_problem_of_every_field_is_reported():
    schema = [
        {"name": "Bad", "label": "", "type": "text", "extra": 1},
        {"name": "ok", "label": "OK", "type": "number", "min": "a", "max_length": 5},
        "not a field",
    ]
    found = errors(schema)
    assert len(found) == 6
    assert found[0] == "Field 1: unknown keys extra."
    assert found[-1] == "Field 3: each field must be an object."


def test_validate_schema_raises_with_every_message():
    schema = [{"name": "a", "label": "A", "type": "text"}, {"name": "a", "label": "", "type": "x"}]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        validate_schema(schema)
    assert caught.value.messages == [
        "Field 2: the name a is used twice.",
        "Field 2: give a label of at most 300 characters.",
        "Field 2: the type must be one of " + ", ".join(sorted(FIELD_TYPES)) + ".",
    ]
