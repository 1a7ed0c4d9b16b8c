from celery import shared_task
from django.db import OperationalError


@shared_task(
    acks_late=True, autoretry_for=(OSError, OperationalError), retry_backoff=True, max_retries=8
)
def notify_event_task(event_id: int) -> None:
    """Email the applicant about one dossier event; a rerun finds it sent and does nothing."""
    from submissions import notifications

    notifications.notify_event(event_id=event_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=8)
def resolve_dossier_task(dossier_id: int, document_id: int) -> None:
    """The signed result exists: the dossier becomes resolved (a rerun does nothing)."""
    from submissions import workflow

    workflow.dossier_resolve(dossier_id=dossier_id, document_id=document_id)


@shared_task
def sweep_workflow_task() -> dict:
    """Periodic: keep the overdue flags, and resolve dossiers whose signed result exists but
    whose resolve task was lost."""
    from submissions import workflow

    return {
        "overdue_changed": workflow.mark_overdue(),
        "resolved": workflow.resolve_signed_results(),
    }
