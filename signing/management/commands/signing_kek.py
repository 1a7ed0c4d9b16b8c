from django.core.management.base import BaseCommand

from signing import keys


class Command(BaseCommand):
    help = "Print a new random key-encryption key for SIGNING_KEK (base64 of 32 bytes)."

    def handle(self, *args, **options):
        self.stdout.write(keys.new_kek_text())
