from django.core.management.base import BaseCommand, CommandError

from portal.models import Agency
from procedures import exchange


class Command(BaseCommand):
    help = "Export an agency's procedure list as JSON (every detail), CSV or XLSX (the annex)."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="Agency code, e.g. 000.00.12.H26")
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--output", "-o", help="File to write (default: standard output)")

    def handle(self, *args, agency: str, format: str, output: str | None, **options):
        target = Agency.objects.filter(code=agency).first()
        if target is None:
            raise CommandError(f"Unknown agency code {agency}")
        body = {
            "json": exchange.export_json,
            "csv": exchange.export_csv,
            "xlsx": exchange.export_xlsx,
        }[format](target)
        data = body.encode() if isinstance(body, str) else body
        if output:
            with open(output, "wb") as handle:
                handle.write(data)
        elif format == "xlsx":
            raise CommandError("XLSX is binary: give --output")
        else:
            self.stdout.write(body, ending="")
