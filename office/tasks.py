"""The back-office's Celery tasks. They keep the names they were registered under when the
workflow lived in `submissions` (`name=`), so messages already queued, and the beat schedule,
still reach them."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="submissions.tasks.resolve_dossier_task",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
)
def resolve_dossier_task(dossier_id: int, document_id: int) -> None:
    """The signed result exists: the dossier becomes resolved (a rerun does nothing)."""
    from submissions import services

    services.dossier_resolve(dossier_id=dossier_id, document_id=document_id)


@shared_task(name="submissions.tasks.sweep_workflow_task")
def sweep_workflow_task() -> dict:
    """Periodic: keep the overdue flags, and resolve dossiers whose signed result exists but
    whose resolve task was lost."""
    from office import services

    return {
        "overdue_changed": services.mark_overdue(),
        "resolved": services.resolve_signed_results(),
    }
