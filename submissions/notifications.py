"""Telling the applicant about a change to their dossier, by email and SMS. Runs in the
`notifications` worker (submissions.tasks); each event is sent at most once per channel (the
`Notification` row, locked while sending, marks it sent)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal import sms
from submissions.models import DossierEvent, Notification

# Internal steps the applicant is not told about.
SILENT_ACTIONS: set[str] = {
    "assign", "propose", "send_back", "approve", "collect_online", "transfer", "transfer_result",
}  # fmt: skip


def _send_once(event, channel: str, recipient: str, send) -> bool:
    with transaction.atomic():
        record, _created = Notification.objects.select_for_update().get_or_create(
            event=event, channel=channel, defaults={"recipient": recipient}
        )
        if record.sent_at is not None:
            return False
        send()
        record.sent_at = timezone.now()
        record.save(update_fields=["sent_at"])
    return True


def notify_event(*, event_id: int) -> bool:
    """Email (and SMS) the applicant about one event. True when something went out now."""
    event = (
        DossierEvent.objects.select_related("dossier", "dossier__applicant", "dossier__version")
        .filter(pk=event_id)
        .first()
    )
    if event is None or event.action in SILENT_ACTIONS:
        return False
    dossier = event.dossier
    # A dossier taken in at the desk may have no account behind it: its own details then.
    account = dossier.applicant
    with translation.override(getattr(account, "language", "") or settings.LANGUAGE_CODE):
        context = {
            "event": event,
            "dossier": dossier,
            "state": dossier.State(event.to_state).label,
            # No account behind a dossier taken in on paper: its page is the public tracking.
            "dossier_url": settings.SITE_URL
            + (
                reverse("submissions:detail", args=[dossier.public_id])
                if account is not None
                else reverse("submissions:track")
            ),
            "track_url": settings.SITE_URL + reverse("submissions:track"),
        }
        subject = " ".join(render_to_string("submissions/email/event_subject.txt", context).split())
        body = render_to_string("submissions/email/event_body.txt", context)
        text = " ".join(render_to_string("submissions/email/event_sms.txt", context).split())
    sent = False
    email = dossier.applicant_email or getattr(account, "email", "")
    if email:
        sent |= _send_once(
            event,
            Notification.Channel.EMAIL,
            email,
            lambda: send_mail(subject, body, None, [email]),
        )
    phone = dossier.applicant_phone
    if phone:
        sent |= _send_once(
            event, Notification.Channel.SMS, phone, lambda: sms.backend().send(phone, text)
        )
    return sent
