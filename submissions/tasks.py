from celery import shared_task
from django.db import OperationalError


@shared_task(
    acks_late=True, autoretry_for=(OSError, OperationalError), retry_backoff=True, max_retries=8
)
def notify_event_task(event_id: int) -> None:
    """Email the applicant about one dossier event; a rerun finds it sent and does nothing."""
    from submissions import notifications

    notifications.notify_event(event_id=event_id)
