import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=8)
def payment_paid_task(payment_id: int) -> None:
    """Receipt and workflow after a payment settled as paid (a rerun does nothing new)."""
    from payments import services

    services.payment_paid_effects(payment_id=payment_id)


@shared_task(
    acks_late=True, autoretry_for=(OperationalError, OSError), retry_backoff=True, max_retries=5
)
def query_payment_task(payment_id: int) -> str:
    from payments import services

    return services.payment_query(payment_id=payment_id)


@shared_task(acks_late=True)
def reconcile_payments_task() -> int:
    """Periodic: attempts pending past the timeout are settled from the gateway's answer."""
    from payments import services

    return services.reconcile_pending()


# One gateway query per attempt of the day: a long task, with its own time limits.
@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=3300,
    time_limit=3600,
)
def daily_payment_report_task(day: str | None = None) -> int:
    """Daily (đối soát): yesterday's attempts against the gateway; returns the mismatches."""
    from payments import services

    target = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    return len(services.daily_report(day=target).mismatches)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def simulator_send_ipn_task(txn_id: int) -> dict:
    """The simulator's late notification ("pay, notify later")."""
    from payments import simulator

    return simulator.send_ipn(txn_id)
