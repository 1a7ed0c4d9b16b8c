from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.models import Agency
from procedures import exchange


class Command(BaseCommand):
    help = (
        "Import an agency's procedure list (XLSX, CSV or JSON). Checks only unless --apply; "
        "an applied import is all or nothing and changes drafts only."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--agency", required=True, help="Agency code, e.g. 000.00.12.H26")
        parser.add_argument("--apply", action="store_true", help="Import (default: dry run)")

    def handle(self, *args, file: Path, agency: str, apply: bool, **options):
        target = Agency.objects.filter(code=agency).first()
        if target is None:
            raise CommandError(f"Unknown agency code {agency}")
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        report = exchange.import_procedures(
            data=file.read_bytes(), filename=file.name, agency=target, dry_run=not apply
        )
        for error in report.file_errors:
            self.stderr.write(f"file: {error}")
        for row in report.rows:
            detail = "; ".join(row.errors) if row.errors else ", ".join(row.changes)
            self.stdout.write(f"row {row.row:>4}  {row.code:<16} {row.action:<9} {detail}")
        summary = (
            f"{report.count('create')} to create, {report.count('update')} to update, "
            f"{report.count('unchanged')} unchanged, {report.count('error')} with errors"
        )
        if not report.ok:
            raise CommandError(f"Nothing imported: {summary}")
        self.stdout.write(("Imported: " if report.applied else "Dry run: ") + summary)
