import json

from django.core.management.base import BaseCommand

from demo import fuzz


class Command(BaseCommand):
    help = (
        "Seed the demo data for the API fuzzer and print, as one JSON object, an API token for "
        "each identity it calls the API as and the stored values valid requests need "
        "(idempotent)."
    )

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(fuzz.seed()))
