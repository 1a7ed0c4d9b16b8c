"""Keeping stats.models.DailyCount up to date.

`refresh()` (a periodic task, every STATS_REFRESH_MINUTES) finds the days whose figures may have
changed since its last run — the days of new dossier events (and of their dossiers' acceptance), of
files added to dossiers (a desk scan made after acceptance) and of the dossiers rated since — and
recomputes every row of those days with a few grouped queries over the dossiers' indexed dates. A
day is always recomputed whole, so a refresh is idempotent and a missed change is put right by the
next nightly `rebuild(days=STATS_REBUILD_DAYS)`. `manage.py stats_rebuild` recomputes any period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from feedback import selectors as feedback_selectors
from payments.models import Payment
from portal import caching
from procedures.models import Channel
from signing.models import Document
from stats.models import DailyCount, MonthlyCount, RefreshMark
from submissions.models import (
    DocumentKind,
    Dossier,
    DossierEvent,
    DossierFile,
    IntakeChannel,
    State,
    Timeliness,
)

# A transaction that began before a refresh may commit after it with earlier timestamps: each
# refresh looks this far behind its last mark.
OVERLAP = dt.timedelta(minutes=15)
COUNTS = [
    "received",
    "received_online",
    "received_in_person",
    "received_post",
    "digitised",
    "fee_due",
    "paid_online",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "results_electronic",
    "late_or_unsatisfied",
    "withdrawn",
    "stopped",
]
_KEY = ("agency_id", "version__procedure_id", "version__field_id")


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `first`, start of the day after `last`) in Vietnam time."""
    tz = _tz()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def local_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(_tz()).date()


def _grouped(queryset, date_field: str, start, end, **counts) -> list[dict]:
    return list(
        queryset.filter(**{f"{date_field}__gte": start, f"{date_field}__lt": end})
        .annotate(day=TruncDate(date_field, tzinfo=_tz()))
        .values("day", *_KEY)
        .order_by()
        .annotate(**counts)
    )


def compute(first: dt.date, last: dt.date) -> list[DailyCount]:
    """The rows of the days from `first` to `last`, computed from the dossiers."""
    start, end = day_bounds(first, last)
    dossiers = Dossier.objects.exclude(received_at__isnull=True)
    has_file = Exists(DossierFile.objects.filter(dossier=OuterRef("pk"), removed_at__isnull=True))
    charges = Exists(
        Channel.objects.filter(version=OuterRef("version"), fee_vnd__gt=0)
    )  # the procedure charges a fee (an exemption is not known for desk filings)
    paid = Exists(Payment.objects.filter(dossier=OuterRef("pk"), status=Payment.Status.PAID))
    signed_result = Exists(
        Document.objects.filter(
            owner_type=ContentType.objects.get_for_model(Dossier),
            owner_id=OuterRef("pk"),
            kind=DocumentKind.RESULT,
            status=Document.Status.SIGNED,
            draft=False,
        )
    )
    received = _grouped(
        dossiers.annotate(has_file=has_file, charges=charges, paid=paid),
        "received_at",
        start,
        end,
        received=Count("pk"),
        received_online=Count("pk", filter=Q(channel=IntakeChannel.ONLINE)),
        received_in_person=Count("pk", filter=Q(channel=IntakeChannel.IN_PERSON)),
        received_post=Count(
            "pk", filter=Q(channel__in=[IntakeChannel.POST, IntakeChannel.PUBLIC_POST])
        ),
        digitised=Count("pk", filter=Q(has_file=True)),
        fee_due=Count("pk", filter=Q(charges=True)),
        paid_online=Count("pk", filter=Q(charges=True, paid=True)),
    )
    unsatisfied = Exists(feedback_selectors.unsatisfied_ratings().filter(dossier=OuterRef("pk")))
    resolved = _grouped(
        dossiers.exclude(resolved_at__isnull=True).annotate(
            signed_result=signed_result, unsatisfied=unsatisfied
        ),
        "resolved_at",
        start,
        end,
        resolved=Count("pk"),
        resolved_early=Count("pk", filter=Q(timeliness=Timeliness.EARLY)),
        resolved_on_time=Count("pk", filter=Q(timeliness=Timeliness.ON_TIME)),
        resolved_late=Count("pk", filter=Q(timeliness=Timeliness.LATE)),
        results_electronic=Count("pk", filter=Q(signed_result=True)),
        late_or_unsatisfied=Count("pk", filter=Q(timeliness=Timeliness.LATE) | Q(unsatisfied=True)),
    )
    closed = _grouped(
        dossiers.filter(state__in=[State.WITHDRAWN, State.STOPPED]),
        "closed_at",
        start,
        end,
        withdrawn=Count("pk", filter=Q(state=State.WITHDRAWN)),
        stopped=Count("pk", filter=Q(state=State.STOPPED)),
    )
    rows: dict[tuple, dict] = defaultdict(dict)
    for group in (received, resolved, closed):
        for item in group:
            key = (item.pop("day"), *(item.pop(name) for name in _KEY))
            rows[key].update(item)
    return [
        DailyCount(day=day, agency_id=agency, procedure_id=procedure, field_id=field, **counts)
        for (day, agency, procedure, field), counts in rows.items()
    ]


@transaction.atomic
def recompute(days: Iterable[dt.date]) -> int:
    """Replace the rows of these days (contiguous runs are computed together), then the
    monthly rows of their months. Returns the number of daily rows written."""
    written, months = 0, set()
    for first, last in _runs(sorted(set(days))):
        rows = compute(first, last)
        DailyCount.objects.filter(day__gte=first, day__lte=last).delete()
        DailyCount.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
        months |= {
            first.replace(day=1) + dt.timedelta(days=n) for n in range((last - first).days + 1)
        }
    _recompute_months({day.replace(day=1) for day in months})
    return written


def _recompute_months(months: set[dt.date]) -> None:
    """The monthly rows of these months, summed from their days."""
    for month in sorted(months):
        following = (month + dt.timedelta(days=32)).replace(day=1)
        sums = (
            DailyCount.objects.filter(day__gte=month, day__lt=following)
            .values("agency_id", "procedure_id", "field_id")
            .order_by()
            .annotate(**{name: Sum(name) for name in COUNTS})
        )
        rows = [MonthlyCount(month=month, **row) for row in sums]
        MonthlyCount.objects.filter(month=month).delete()
        MonthlyCount.objects.bulk_create(rows, batch_size=2000)


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def changed_days(since: dt.datetime) -> set[dt.date]:
    """The days whose rows may differ from what was counted at `since`: the day of each new
    event and the day its dossier was accepted (a fee paid on delivery counts there), the
    acceptance day of dossiers given files since (a scan at the desk after acceptance), and
    the day of the result of dossiers rated since. Each read starts from an indexed time."""
    days: set[dt.date] = set()
    events = DossierEvent.objects.filter(created_at__gte=since).values_list(
        "created_at", "dossier__received_at"
    )
    for created_at, received_at in events.iterator():
        days.add(local_day(created_at))
        if received_at is not None:
            days.add(local_day(received_at))
    scanned = DossierFile.objects.filter(
        uploaded_at__gte=since, dossier__received_at__isnull=False
    ).values_list("dossier__received_at", flat=True)
    days |= {local_day(instant) for instant in scanned.iterator()}
    rated = feedback_selectors.dossiers_rated_since(since).exclude(resolved_at__isnull=True)
    days |= {local_day(instant) for instant in rated.values_list("resolved_at", flat=True)}
    return days


@transaction.atomic
def refresh(*, now: dt.datetime | None = None) -> int:
    """Bring the counts up to date; returns the number of days recomputed. Two refreshes at
    once wait for each other on the mark's row."""
    now = now or timezone.now()
    mark, created = RefreshMark.objects.get_or_create(pk=1, defaults={"refreshed_at": now})
    mark = RefreshMark.objects.select_for_update().get(pk=mark.pk)
    days = _all_days() if created else changed_days(mark.refreshed_at - OVERLAP)
    recompute(days)
    mark.refreshed_at = now
    mark.save(update_fields=["refreshed_at"])
    if days:
        transaction.on_commit(lambda: caching.bump("statistics"))
    return len(days)


def rebuild(*, first: dt.date | None = None, last: dt.date | None = None) -> int:
    """Recompute every day from `first` (default: the first dossier's) to `last` (today)."""
    last = last or local_day(timezone.now())
    days = _all_days() if first is None else _between(first, last)
    recompute(d for d in days if d <= last)
    caching.bump("statistics")
    return len(days)


def _between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _all_days() -> set[dt.date]:
    first = Dossier.objects.exclude(received_at__isnull=True).order_by("received_at").first()
    if first is None:
        return set()
    return set(_between(local_day(first.received_at), local_day(timezone.now())))
