"""Telling the applicant about a change to their dossier. Runs in the `notifications` worker
(submissions.tasks); each event is sent at most once per channel (the `Notification` row)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from submissions.models import DossierEvent, Notification

# Internal steps the applicant is not told about (the workflow adds to this).
SILENT_ACTIONS: set[str] = set()


def notify_event(*, event_id: int) -> bool:
    """Email the applicant about one event. True when an email went out now."""
    event = (
        DossierEvent.objects.select_related("dossier", "dossier__applicant", "dossier__version")
        .filter(pk=event_id)
        .first()
    )
    if event is None or event.action in SILENT_ACTIONS:
        return False
    dossier = event.dossier
    recipient = dossier.applicant_email or dossier.applicant.email
    if not recipient:
        return False
    with transaction.atomic():
        record, _created = Notification.objects.select_for_update().get_or_create(
            event=event, channel=Notification.Channel.EMAIL, defaults={"recipient": recipient}
        )
        if record.sent_at is not None:
            return False
        with translation.override(dossier.applicant.language or settings.LANGUAGE_CODE):
            context = {
                "event": event,
                "dossier": dossier,
                "state": dossier.State(event.to_state).label,
                "dossier_url": settings.SITE_URL
                + reverse("submissions:detail", args=[dossier.public_id]),
                "track_url": settings.SITE_URL + reverse("submissions:track"),
            }
            subject = " ".join(
                render_to_string("submissions/email/event_subject.txt", context).split()
            )
            body = render_to_string("submissions/email/event_body.txt", context)
        send_mail(subject, body, None, [recipient])
        record.sent_at = timezone.now()
        record.save(update_fields=["sent_at"])
    return True
