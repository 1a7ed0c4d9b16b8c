import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from stats import aggregates


class Command(BaseCommand):
    help = "Recompute the statistics' per-day counts (all days, or from --since YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first day, YYYY-MM-DD (default: the first dossier's)")

    def handle(self, *args, since=None, **options):
        first = None
        if since:
            try:
                first = dt.date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since: not a date in YYYY-MM-DD form: {since!r}") from None
        days = aggregates.rebuild(first=first)
        self.stdout.write(f"{days} days recomputed.")
