"""The reviewed calendar files (portal/calendar/YYYY.json): every national day off and every
worked weekend day of a year, each with its legal basis, checked by a person against the
official letters. A year's changes are one reviewed commit of its file, loaded by
`manage.py load_calendar` (and by the data migration that ships the files), not a library
upgrade. For a year with a file the `holidays` package is not consulted (portal.workdays).

A file:

    {"year": 2026, "reviewed": "2026-12-06",
     "sources": {"VPCP-12729": "Công văn 12729/VPCP-KGVX ngày 25/12/2025 …"},
     "days_off": [{"date": "2026-01-02", "name": "…", "source": "VPCP-12729"}, …],
     "working_days": [{"date": "2026-01-10", "name": "…", "source": "VPCP-12729"}]}

An entry with "confirmed": false is loaded but counts only once a superuser confirms it (a day
whose legal basis was not found). Loading is all or nothing: every problem is named, nothing is
saved while one remains.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

SHIPPED = Path(__file__).resolve().parent / "calendar"
_ISO_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class CalendarFileError(ValueError):
    """A file that cannot be loaded; `problems` names each thing wrong with it."""

    def __init__(self, name: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{name}: " + "; ".join(problems))


@dataclass(frozen=True)
class Entry:
    date: dt.date
    kind: str  # "off" | "work"
    name: str
    source: str
    confirmed: bool


@dataclass(frozen=True)
class YearFile:
    year: int
    reviewed: dt.date
    sources: dict
    entries: list[Entry]


def _date(text, where: str, problems: list[str]) -> dt.date | None:
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        problems.append(f"{where}: {text!r} is not a date written YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"{where}: {text!r} is not a date of the calendar")
        return None


def parse(data: bytes, name: str = "calendar file") -> YearFile:
    """The file's year and entries, or CalendarFileError naming every problem."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CalendarFileError(name, [f"not JSON ({exc})"]) from exc
    problems: list[str] = []
    if not isinstance(document, dict):
        raise CalendarFileError(name, ["the file is not a JSON object"])
    year = document.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        problems.append(f"year: {year!r} is not a year")
    reviewed = _date(document.get("reviewed"), "reviewed", problems)
    sources = document.get("sources")
    if not isinstance(sources, dict) or not sources:
        problems.append("sources: each entry's legal basis must be listed")
        sources = {}
    entries, seen = [], set()
    for key, kind in (("days_off", "off"), ("working_days", "work")):
        items = document.get(key, [])
        if not isinstance(items, list):
            problems.append(f"{key}: not a list")
            continue
        for number, item in enumerate(items, start=1):
            where = f"{key}[{number}]"
            if not isinstance(item, dict):
                problems.append(f"{where}: not an object")
                continue
            day = _date(item.get("date"), where, problems)
            label = str(item.get("name") or "").strip()
            if not label:
                problems.append(f"{where}: no name")
            source = item.get("source")
            if source not in sources:
                problems.append(f"{where}: source {source!r} is not among the file's sources")
            if day is None:
                continue
            if isinstance(year, int) and day.year != year:
                problems.append(f"{where}: {day.isoformat()} is not in {year}")
            if kind == "off" and day.weekday() >= 5:
                problems.append(f"{where}: {day.isoformat()} is a weekend day already")
            if kind == "work" and day.weekday() < 5:
                problems.append(f"{where}: {day.isoformat()} is a weekday already worked")
            if day in seen:
                problems.append(f"{where}: {day.isoformat()} is listed twice")
            seen.add(day)
            confirmed = item.get("confirmed", True)
            if not isinstance(confirmed, bool):
                problems.append(f"{where}: confirmed is true or false")
            entries.append(
                Entry(day, kind, label[:255], str(sources.get(source, ""))[:500], confirmed is True)
            )
    if problems:
        raise CalendarFileError(name, problems)
    return YearFile(year=year, reviewed=reviewed, sources=sources, entries=entries)


def load(year_file: YearFile, *, day_model, year_model) -> tuple[int, int]:
    """Make the year's national days from the file exactly the file's: the file's days written,
    those a previous file had and this one drops removed; days a superuser added, and local
    days, are kept. A day a superuser has confirmed stays confirmed. Returns (days written, days
    removed). The models are passed in so that a data migration can use its historical ones."""
    marks_file = any(field.name == "from_file" for field in day_model._meta.get_fields())
    with transaction.atomic():
        national = day_model.objects.filter(date__year=year_file.year, province__isnull=True)
        confirmed = set(national.filter(confirmed=True).values_list("date", flat=True))
        wanted = {entry.date for entry in year_file.entries}
        # Only a previous file's days are the file's to remove (a model from before the mark
        # removes none).
        stale = national.exclude(date__in=wanted).filter(from_file=True) if marks_file else None
        removed = stale.delete()[0] if stale is not None else 0
        for entry in year_file.entries:
            defaults = {
                "kind": entry.kind,
                "name": entry.name,
                "source": entry.source,
                "confirmed": entry.confirmed or entry.date in confirmed,
            }
            if marks_file:
                defaults["from_file"] = True
            day_model.objects.update_or_create(date=entry.date, province=None, defaults=defaults)
        year_model.objects.update_or_create(
            year=year_file.year,
            defaults={"reviewed": year_file.reviewed, "sources": year_file.sources},
        )
    return len(year_file.entries), removed


def shipped_files() -> list[Path]:
    return sorted(SHIPPED.glob("[0-9][0-9][0-9][0-9].json"))


def load_shipped(*, day_model, year_model) -> list[int]:
    """Load every shipped year (all files checked before any is loaded)."""
    parsed = [parse(path.read_bytes(), path.name) for path in shipped_files()]
    for year_file in parsed:
        load(year_file, day_model=day_model, year_model=year_model)
    return [year_file.year for year_file in parsed]
