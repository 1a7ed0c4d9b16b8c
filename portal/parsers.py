"""The API's body parsers: REST framework's, refusing a control character in any key or text
(portal.controls) with a 400 before a view or the database sees it."""

from django.utils.translation import gettext_lazy
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from portal.controls import MESSAGE, form_has_control, has_control

# A body nested deeper than this is refused before anything walks it: Python's JSON decoder and
# the walks after it (portal.controls, serializers) recurse once per level, and 5,000 levels
# exhaust the interpreter's stack (a RecursionError: a 500). No form of the portal nests
# beyond a handful.
MAX_JSON_DEPTH = 32
TOO_DEEP = gettext_lazy("The JSON body is nested too deeply (more than %(depth)s levels).")


def _too_deep(data, limit: int = MAX_JSON_DEPTH) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP % {"depth": MAX_JSON_DEPTH}) from None
        if _too_deep(data):
            raise ParseError(TOO_DEEP % {"depth": MAX_JSON_DEPTH})
        if has_control(data):
            raise ParseError(MESSAGE)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if form_has_control(data):
            raise ParseError(MESSAGE)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        names = [f.name or "" for files in result.files.lists() for f in files[1]]
        if form_has_control(result.data) or has_control(names) or has_control(list(result.files)):
            raise ParseError(MESSAGE)
        return result
