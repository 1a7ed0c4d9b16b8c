"""The API's body parsers: REST framework's, refusing a control character in any key or text
(portal.controls) with a 400 before a view or the database sees it."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from portal.controls import MESSAGE, form_has_control, has_control


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
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
