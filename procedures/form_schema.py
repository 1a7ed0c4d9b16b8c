"""The online form schema of a level 3–4 procedure: an ordered list of fields.

    [{"name": "full_name", "label": "Họ và tên", "type": "text", "required": true,
      "max_length": 100, "help_text": "..."},
     {"name": "school_year", "label": "Năm tốt nghiệp", "type": "number", "min": 1975,
      "max": 2026},
     {"name": "copies", "label": "Số bản sao", "type": "choice",
      "choices": [{"value": "1", "label": "1 bản"}, {"value": "2", "label": "2 bản"}]}]

The filing issue builds the citizen's form from it; here it is checked when saved.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIELD_TYPES = {
    "text",
    "textarea",
    "date",
    "number",
    "choice",
    "multichoice",
    "checkbox",
    "email",
    "phone",
    "citizen_id",
}
_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
_KEYS = {"name", "label", "type", "required", "choices", "help_text", "min", "max", "max_length"}
_CHOICE_TYPES = {"choice", "multichoice"}
_RANGE_TYPES = {"number", "date"}
_LENGTH_TYPES = {"text", "textarea"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _field_errors(field, position: int, seen: set[str]) -> list[str]:
    where = _("Field %(n)s") % {"n": position}
    if not isinstance(field, dict):
        return [_("%(where)s: each field must be an object.") % {"where": where}]
    errors = []
    unknown = sorted(set(field) - _KEYS)
    if unknown:
        errors.append(
            _("%(where)s: unknown keys %(keys)s.") % {"where": where, "keys": ", ".join(unknown)}
        )
    name = field.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        errors.append(
            _(
                "%(where)s: the name must start with a letter and use only a-z, 0-9 and _ "
                "(at most 50 characters)."
            )
            % {"where": where}
        )
    elif name in seen:
        errors.append(
            _("%(where)s: the name %(name)s is used twice.") % {"where": where, "name": name}
        )
    else:
        seen.add(name)
        where = f"{where} ({name})"
    label = field.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 300:
        errors.append(_("%(where)s: give a label of at most 300 characters.") % {"where": where})
    kind = field.get("type")
    if kind not in FIELD_TYPES:
        errors.append(
            _("%(where)s: the type must be one of %(types)s.")
            % {"where": where, "types": ", ".join(sorted(FIELD_TYPES))}
        )
        return errors
    if "required" in field and not isinstance(field["required"], bool):
        errors.append(_("%(where)s: required must be true or false.") % {"where": where})
    if "help_text" in field and not isinstance(field["help_text"], str):
        errors.append(_("%(where)s: help_text must be text.") % {"where": where})
    errors += _choice_errors(field, kind, where)
    errors += _constraint_errors(field, kind, where)
    return errors


def _choice_errors(field: dict, kind: str, where: str) -> list[str]:
    choices = field.get("choices")
    if kind not in _CHOICE_TYPES:
        if choices is not None:
            return [_("%(where)s: only choice fields have choices.") % {"where": where}]
        return []
    if not isinstance(choices, list) or not choices:
        return [_("%(where)s: list at least one choice.") % {"where": where}]
    values = []
    for choice in choices:
        if not (
            isinstance(choice, dict)
            and isinstance(choice.get("value"), str)
            and choice["value"]
            and isinstance(choice.get("label"), str)
            and choice["label"].strip()
        ):
            return [
                _("%(where)s: each choice needs a value and a label (text).") % {"where": where}
            ]
        values.append(choice["value"])
    if len(values) != len(set(values)):
        return [_("%(where)s: two choices have the same value.") % {"where": where}]
    return []


def _constraint_errors(field: dict, kind: str, where: str) -> list[str]:
    errors = []
    has_range = "min" in field or "max" in field
    if has_range and kind not in _RANGE_TYPES:
        errors.append(_("%(where)s: only number and date fields have min/max.") % {"where": where})
    elif has_range:
        bounds = [field[k] for k in ("min", "max") if k in field]
        if kind == "number" and not all(
            isinstance(b, int | float) and not isinstance(b, bool) for b in bounds
        ):
            errors.append(_("%(where)s: min and max must be numbers.") % {"where": where})
        elif kind == "date" and not all(
            isinstance(b, str) and _ISO_DATE.fullmatch(b) for b in bounds
        ):
            errors.append(
                _("%(where)s: min and max must be dates (YYYY-MM-DD).") % {"where": where}
            )
        elif len(bounds) == 2 and bounds[0] > bounds[1]:
            errors.append(_("%(where)s: min is greater than max.") % {"where": where})
    if "max_length" in field:
        value = field["max_length"]
        if kind not in _LENGTH_TYPES:
            errors.append(_("%(where)s: only text fields have max_length.") % {"where": where})
        elif not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10000:
            errors.append(
                _("%(where)s: max_length must be a whole number from 1 to 10000.")
                % {"where": where}
            )
    return errors


def schema_errors(schema) -> list[str]:
    if not isinstance(schema, list):
        return [_("The form schema must be a list of fields.")]
    if len(schema) > 200:
        return [_("The form schema has more than 200 fields.")]
    seen: set[str] = set()
    errors = []
    for position, field in enumerate(schema, start=1):
        errors += _field_errors(field, position, seen)
    return errors


def validate_schema(schema) -> None:
    errors = schema_errors(schema)
    if errors:
        raise ValidationError(errors, code="form_schema")
