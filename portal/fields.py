"""Serializer fields for what the API takes in."""

from rest_framework import serializers


class TextField(serializers.CharField):
    """A CharField that takes text only. REST framework's also takes a number and stores it as
    text (0 → "0"), which the schema (`type: string`) forbids and a client would not expect:
    "Not a valid string." instead."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
