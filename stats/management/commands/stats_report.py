import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.models import Agency
from stats import reports
from stats.models import ReportKind

FORMS = {
    "month": (ReportKind.MONTH, r"(\d{4})-(\d{1,2})", "YYYY-MM"),
    "quarter": (ReportKind.QUARTER, r"(\d{4})-Q?(\d)", "YYYY-Q (e.g. 2026-4)"),
    "half": (ReportKind.HALF, r"(\d{4})-H?(\d)", "YYYY-H (1 or 2)"),
    "year": (ReportKind.YEAR, r"(\d{4})()", "YYYY"),
}


class Command(BaseCommand):
    help = (
        "Make an agency's report of procedure results (Biểu số 06/VPCP/KSTT) for a period that "
        "has ended, as a signed PDF (the worker renders and signs it). One per agency and "
        "period: for a period already made, says so and makes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("agency", help="the agency's code, e.g. 000.00.12.H26")
        which = parser.add_mutually_exclusive_group(required=True)
        for name, (_kind, _pattern, shape) in FORMS.items():
            which.add_argument(f"--{name}", metavar=shape.split(" ")[0])

    def handle(self, *args, agency, **options):
        unit = Agency.objects.filter(code=agency).first()
        if unit is None:
            raise CommandError(f"No agency with the code {agency!r}.")
        [(name, value)] = [(n, options[n]) for n in FORMS if options.get(n)]
        kind, pattern, shape = FORMS[name]
        match = re.fullmatch(pattern, value)
        if match is None:
            raise CommandError(f"--{name}: expected {shape}, got {value!r}.")
        year, number = int(match[1]), int(match[2] or 1)
        try:
            period = reports.ReportPeriod.of(kind, year, number)
            existing = reports.report_get(agency=unit, period=period)
            document = reports.report_issue(agency=unit, period=period, now=timezone.now())
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        said = "already made" if existing else "asked for"
        self.stdout.write(
            f"{unit.code} {period.label_vi} ({period.first:%d/%m/%Y}-{period.last:%d/%m/%Y}): "
            f"{said}; document {document.pk}, {document.status}, code {document.verification_code}"
        )
