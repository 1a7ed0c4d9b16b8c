"""Control characters in text input: C0 controls and DEL, but tab, line feed and carriage
return (text areas send them). PostgreSQL refuses NUL in text and JSON outright (a server error
before this check); the others are never part of a name, a code or an answer, only of an attack
or a broken client. Refused with one clear message wherever input enters: the path, the query,
the headers the portal reads (portal.middleware), form and JSON bodies (the middleware for the
pages, portal.parsers for the API)."""

import re

from django.utils.translation import gettext_lazy as _

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same rule as a JSON Schema `pattern` (ECMA-262 and Python read it alike): the API's schema
# puts it on every text it takes (portal.schema.forbid_control_characters).
_CONTROLS = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f"
CONTROL_FREE_PATTERN = f"^[^{_CONTROLS}]*$"
# … and, for a text that may not be blank (the API trims it first), at least one character that
# is not white space.
NOT_BLANK_PATTERN = f"^[^{_CONTROLS}]*[^\\s{_CONTROLS}][^{_CONTROLS}]*$"
MESSAGE = _(
    "The request contains a control character (such as NUL) that no field accepts. "
    "Remove it and try again."
)


def has_control(value) -> bool:
    """Whether a text, or any key or text inside a parsed JSON or form value, has one."""
    if isinstance(value, str):
        return bool(CONTROL.search(value))
    if isinstance(value, dict):
        return any(has_control(k) or has_control(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_control(v) for v in value)
    return False


def form_has_control(form) -> bool:
    """A QueryDict (query string or form body): its keys and every value of each."""
    return any(has_control(k) or has_control(form.getlist(k)) for k in form)
