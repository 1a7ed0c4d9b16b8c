from django.core.management.base import BaseCommand

from signing import archive, verify
from signing.models import Document


class Command(BaseCommand):
    help = (
        "Re-check every signed document as /verify/ would today and list those that would not "
        "validate (and why), with the count by verdict and by PAdES level. Exit status 1 when "
        "any would not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agency", help="Only this agency's documents (its code)")

    def handle(self, *args, agency: str | None = None, **options):
        documents = Document.objects.filter(status=Document.Status.SIGNED, draft=False)
        if agency:
            documents = documents.filter(agency__code=agency)
        counts: dict[str, int] = {}
        levels: dict[str, int] = {}
        failing = 0
        for document, verdict in archive.check(documents.order_by("pk")):
            counts[verdict.code] = counts.get(verdict.code, 0) + 1
            level = document.pades_level or "-"
            levels[level] = levels.get(level, 0) + 1
            if verdict.code != verify.AUTHENTIC:
                failing += 1
                self.stdout.write(
                    f"{document.verification_code}\t{document.agency.code}\t{level}\t"
                    f"{verdict.code}\t{document.title[:80]}"
                )
        total = sum(counts.values())
        self.stdout.write(
            f"{total} documents checked: "
            + ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
            + "; levels: "
            + ", ".join(f"{level} {n}" for level, n in sorted(levels.items()))
        )
        if failing:
            self.stdout.write(self.style.WARNING(f"{failing} would not validate today."))
            raise SystemExit(1)
