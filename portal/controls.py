"""Control characters in text input: C0 controls and DEL, but tab, line feed and carriage
return (text areas send them). PostgreSQL refuses NUL in text and JSON outright (a server error
before this check); the others are never part of a name, a code or an answer, only of an attack
or a broken client. Refused with one clear message wherever input enters: the path, the query,
the headers the portal reads (portal.middleware), form and JSON bodies (the middleware for the
pages, portal.parsers for the API)."""

import re

from django.utils.translation import gettext_lazy as _

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
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
