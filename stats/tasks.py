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
