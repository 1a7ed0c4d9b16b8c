"""SMS through a pluggable backend (settings.SMS_BACKEND). The default writes each message to
the log; a provider's backend implements `send(phone, text)` with its own HTTP API."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("portal.sms")


class LoggingBackend:
    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


class MemoryBackend:
    """For tests: keeps what was sent in `outbox`."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        MemoryBackend.outbox.append((phone, text))


def backend():
    return import_string(settings.SMS_BACKEND)()
