import os

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email_task(
    subject: str, body: str, from_email: str | None, to: list[str], html: str | None = None
) -> None:
    """Send one email. Runs on the `notifications` queue; retried when the SMTP server is away."""
    message = EmailMultiAlternatives(subject, body, from_email, to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_sms_task(phone: str, text: str) -> None:
    """Send one SMS through the configured backend (portal.sms); `notifications` queue."""
    from portal import sms

    sms.backend().send(phone, text)


@shared_task(ignore_result=False)
def ping_task(token: str) -> dict:
    """Round-trip check for operators and the integration tests: who answered, whether that
    worker reaches the database, and through which database session (its server pid)."""
    from django.db import connection

    from portal import health

    ok = health.check("database")["ok"]
    session = None
    if ok and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            session = cursor.fetchone()[0]
    return {"token": token, "pid": os.getpid(), "database": ok, "db_session": session}
