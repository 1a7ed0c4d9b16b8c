import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from stats import aggregates


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def refresh_statistics_task() -> int:
    """The per-day counts of every day that changed since the last run (idempotent)."""
    return aggregates.refresh()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def rebuild_recent_statistics_task() -> int:
    """The last STATS_REBUILD_DAYS days again, whatever the refreshes saw."""
    today = aggregates.local_day(timezone.now())
    first = today - dt.timedelta(days=settings.STATS_REBUILD_DAYS)
    return aggregates.rebuild(first=first, last=today)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def issue_monthly_reports_task() -> int:
    """On the day after the monthly cut-off (CELERY_BEAT_SCHEDULE): each agency's report of the
    month that just ended, as a signed PDF (stats.reports.report_issue). One per agency and
    period: a rerun finds them made and makes nothing. Returns how many were asked for now."""
    from stats import reports
    from stats.models import ReportKind

    now = timezone.now()
    period = reports.ReportPeriod.latest_ended(ReportKind.MONTH, aggregates.local_day(now))
    made = 0
    for agency in reports.agencies_to_report():
        if reports.report_get(agency=agency, period=period) is None:
            reports.report_issue(agency=agency, period=period, now=now)
            made += 1
    return made
