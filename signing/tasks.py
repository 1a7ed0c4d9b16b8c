import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from signing import services
from signing.models import Document


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    # The database or the timestamp server away (pyHanko's TimestampRequestError is an OSError).
    autoretry_for=(OperationalError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def render_and_sign_task(document_id: int) -> str | None:
    """Idempotent: a document that is gone or no longer pending is left as it is. After the last
    retry a document stays pending, and the sweeper tries it again later."""
    document = services.document_render_and_sign(document_id=document_id)
    return document.status if document else None


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def finish_document_task(document_id: int) -> str | None:
    """After the leader signed: embed the leader's signature and add the organisation's.
    Takes the id only (the PIN never leaves the leader's request). Idempotent."""
    document = services.document_finish(document_id=document_id)
    return document.status if document else None


@shared_task
def sweep_pending_documents_task(older_than_minutes: int | None = None) -> int:
    """Re-enqueue documents left pending (a worker died, a message was lost)."""
    minutes = (
        settings.SIGNING_SWEEP_AFTER_MINUTES if older_than_minutes is None else older_than_minutes
    )
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    with transaction.atomic():
        # A document a worker is rendering right now holds its row lock (a long register can
        # take half an hour): skipped, or each sweep would tie up one more worker waiting on it.
        pending = list(
            Document.objects.select_for_update(skip_locked=True)
            .filter(status=Document.Status.PENDING, created_at__lte=cutoff)
            .order_by("created_at")[:500]
        )
    for document in pending:
        services.enqueue(document)
    # Signed by the leader, not yet sealed (a worker died): finish them.
    received = list(
        Document.objects.filter(
            status=Document.Status.SIGNATURE_RECEIVED, personal_signed_at__lte=cutoff
        ).values_list("pk", flat=True)[:500]
    )
    for document_id in received:
        finish_document_task.delay(document_id)
    return len(pending) + len(received)


@shared_task
def renew_archive_timestamps_task() -> int:
    """Daily: queue the renewal of every B-LTA document whose newest document timestamp's
    authority certificate expires within SIGNING_ARCHIVE_RENEW_DAYS."""
    from signing import archive

    archive.fill_archive_until()
    ids = list(archive.due().values_list("pk", flat=True)[:5000])
    for document_id in ids:
        renew_archive_timestamp_task.delay(document_id)
    return len(ids)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, OSError),  # the TSA or a responder away: later
    retry_backoff=True,
    max_retries=5,
)
def renew_archive_timestamp_task(document_id: int) -> bool:
    """One document's archive timestamp renewed (idempotent: one no longer due is left)."""
    from signing import archive

    return archive.renew(document_id)


@shared_task
def warn_expiring_certificates_task() -> int:
    """Daily: tell agency administrators about signing certificates that expire soon."""
    from signing import lifecycle

    return lifecycle.warn_expiring()
