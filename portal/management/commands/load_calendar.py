from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal import calendar_files
from portal.models import CalendarDay, CalendarYear


class Command(BaseCommand):
    help = (
        "Load reviewed calendar files (portal/calendar/YYYY.json by default): each makes its "
        "year's national days off and worked weekend days exactly the file's."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", type=Path, help="Year files (default: shipped)")

    def handle(self, *args, files: list[Path], **options):
        paths = files or calendar_files.shipped_files()
        parsed = []
        problems = []
        for path in paths:
            if not path.is_file():
                problems.append(f"{path}: no such file")
                continue
            try:
                parsed.append(calendar_files.parse(path.read_bytes(), path.name))
            except calendar_files.CalendarFileError as exc:
                problems.append(str(exc))
        if problems:  # nothing is loaded while any file is wrong
            raise CommandError("Nothing loaded.\n" + "\n".join(problems))
        for year_file in parsed:
            written, removed = calendar_files.load(
                year_file, day_model=CalendarDay, year_model=CalendarYear
            )
            self.stdout.write(f"{year_file.year}: {written} days ({removed} removed)")
