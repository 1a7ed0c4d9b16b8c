from django.conf import settings
from django.core.management.base import CommandError
from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as WhitenoiseRunserver,
)

from portal.devserver import REFUSAL, is_loopback


class Command(WhitenoiseRunserver):
    """whitenoise's runserver (static files served by WhiteNoise, as in production), refusing
    an address other than loopback in development mode (portal.devserver)."""

    def run(self, **options):
        # Django's handle() has parsed the address into self.addr by now.
        if not (settings.PRODUCTION or settings.DEV_ALLOW_REMOTE or is_loopback(self.addr)):
            raise CommandError(f"Refused to serve {self.addr}: {REFUSAL}")
        return super().run(**options)
