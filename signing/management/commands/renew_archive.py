from django.core.management.base import BaseCommand

from signing import archive


class Command(BaseCommand):
    help = (
        "Renew the document timestamp of every B-LTA document whose last timestamp's authority "
        "certificate expires within --margin-days (default SIGNING_ARCHIVE_RENEW_DAYS), as the "
        "daily task does, and report each one renewed. --dry-run lists them only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--margin-days", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, margin_days: int | None = None, dry_run: bool = False, **options):
        archive.fill_archive_until()
        due = list(archive.due(margin_days=margin_days))
        renewed = 0
        for document in due:
            before = document.archive_until
            if not dry_run:
                if not archive.renew(document.pk, margin_days=margin_days):
                    continue
                document.refresh_from_db()
            renewed += 1
            self.stdout.write(
                f"{document.verification_code}\t{document.agency.code}\t"
                f"{before:%Y-%m-%d} -> "
                + ("(dry run)" if dry_run else f"{document.archive_until:%Y-%m-%d}")
                + f"\t{document.title[:80]}"
            )
        verb = "would be renewed" if dry_run else "renewed"
        self.stdout.write(f"{renewed} of {len(due)} due documents {verb}.")
