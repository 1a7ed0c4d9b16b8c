"""Dossiers (hồ sơ): the citizen's filing, its files, its append-only history.

The state is a protected django-fsm-2 field: it changes only through the transitions below, which
check the state and the actor's role and do no I/O. `submissions.services` wraps each one: it
locks the row, saves, records a `DossierEvent` and enqueues work on commit.
"""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition

from portal.models import Agency, StaffRole
from procedures.models import ProcedureVersion, RequiredDocument


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RECEIVED = "received", _("Accepted")
    PROCESSING = "processing", _("In progress")
    PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
    SIGNING = "signing", _("Being signed")
    SUPPLEMENT_REQUIRED = "supplement_required", _("Supplement requested")
    AWAITING_PAYMENT = "awaiting_payment", _("Payment required")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    STOPPED = "stopped", _("Stopped")
    RESOLVED = "resolved", _("Resolved")
    RETURNED = "returned", _("Result returned")


# The status code the national public-services portal shows for each state (DOMAIN.md §3).
STATUS_CODES: dict[str, int | None] = {
    State.DRAFT: None,
    State.SUBMITTED: 1,
    State.RECEIVED: 2,
    State.REFUSED: 3,
    State.PROCESSING: 4,
    State.PENDING_APPROVAL: 4,
    State.SIGNING: 4,
    State.SUPPLEMENT_REQUIRED: 5,
    State.AWAITING_PAYMENT: 6,
    State.WITHDRAWN: 7,
    State.STOPPED: 8,
    State.RESOLVED: 9,
    State.RETURNED: 10,
}

# Where the applicant may still change answers and files.
EDITABLE_STATES = {State.DRAFT, State.SUPPLEMENT_REQUIRED}
# A result exists (or the dossier is closed): withdrawing is no longer possible.
WITHDRAWABLE_STATES = [
    State.SUBMITTED,
    State.RECEIVED,
    State.PROCESSING,
    State.PENDING_APPROVAL,
    State.SUPPLEMENT_REQUIRED,
    State.AWAITING_PAYMENT,
]


def _is_applicant(instance: "Dossier", user) -> bool:
    return user is not None and user.is_authenticated and user.pk == instance.applicant_id


def _is_intake_officer(instance: "Dossier", user) -> bool:
    """Desk officers and specialists of the receiving agency may ask for more."""
    return (
        user is not None
        and user.is_authenticated
        and user.agency_id == instance.agency_id
        and user.has_role(StaffRole.Role.DESK, StaffRole.Role.SPECIALIST)
    )


def dossier_storage():
    return storages["dossiers"]


def dossier_file_path(instance: "DossierFile", filename: str) -> str:
    """A random name under the dossier's own folder: nothing about it can be guessed."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"dossiers/{instance.dossier.public_id}/{uuid.uuid4().hex}.{extension}"


class Dossier(ConcurrentTransitionMixin, models.Model):
    """One application by one applicant under one version of a procedure."""

    State = State

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        _("dossier code"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("procedure version"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("receiving agency"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    state = FSMField(
        _("state"), max_length=32, choices=State.choices, default=State.DRAFT, protected=True
    )
    # Who the dossier is for, as the applicant gave it (prefilled from the profile).
    applicant_name = models.CharField(_("full name"), max_length=150, blank=True)
    applicant_citizen_id = models.CharField(_("citizen ID number"), max_length=12, blank=True)
    applicant_phone = models.CharField(_("phone"), max_length=16, blank=True)
    applicant_email = models.EmailField(_("email"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=255, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # The state a resubmission returns to (submitted before acceptance, processing after).
    resume_state = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    received_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["applicant", "-updated_at"], name="dossier_applicant_idx"),
            models.Index(fields=["agency", "state", "submitted_at"], name="dossier_queue_idx"),
        ]

    def __str__(self):
        return self.code or str(_("Draft %(id)s") % {"id": str(self.public_id)[:8]})

    @property
    def status_code(self) -> int | None:
        return STATUS_CODES[self.state]

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def can_withdraw(self) -> bool:
        return self.state in WITHDRAWABLE_STATES

    # --- transitions: state and guards only (see submissions.services) ---------------------

    @transition(field=state, source=State.DRAFT, target=State.SUBMITTED, permission=_is_applicant)
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=[State.SUBMITTED, State.RECEIVED, State.PROCESSING],
        target=State.SUPPLEMENT_REQUIRED,
        permission=_is_intake_officer,
    )
    def request_supplement(self):
        self.resume_state = self.state

    @transition(
        field=state,
        source=State.SUPPLEMENT_REQUIRED,
        target=GET_STATE(
            lambda self: self.resume_state or State.SUBMITTED,
            states=[State.SUBMITTED, State.RECEIVED, State.PROCESSING],
        ),
        permission=_is_applicant,
    )
    def resubmit(self):
        """Back to where the request was made: the desk's queue, or the specialist's with the
        clock running again (the workflow resumes it with the time left)."""

    @transition(
        field=state,
        source=WITHDRAWABLE_STATES,
        target=State.WITHDRAWN,
        permission=_is_applicant,
    )
    def withdraw(self):
        self.closed_at = timezone.now()


class DailySequence(models.Model):
    """The last dossier number given by an agency on a day (DOMAIN.md §4)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="dailysequence_agency_day")
        ]

    def __str__(self):
        return f"{self.agency_id} {self.day}: {self.last}"


class SupplementRequest(models.Model):
    """What an officer asked the applicant to add or correct, and why."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="supplements")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    items = models.JSONField(_("items to supply"), default=list)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("supplement request")
        verbose_name_plural = _("supplement requests")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.dossier}: {self.reason[:50]}"


class DossierFile(models.Model):
    """One uploaded file in one slot (a required document) of a dossier. Files removed after
    submission are kept, with `removed_at`, so that the history shows what was replaced."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="files")
    requirement = models.ForeignKey(
        RequiredDocument,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(storage=dossier_storage, upload_to=dossier_file_path, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    # 0 for the first filing, n for the files sent in answer to the n-th supplement request.
    round = models.PositiveSmallIntegerField(default=0)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("dossier file")
        verbose_name_plural = _("dossier files")
        ordering = ["requirement__order", "requirement_id", "uploaded_at", "pk"]

    def __str__(self):
        return self.name


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Dossier events are append-only.")

    def delete(self):
        raise TypeError("Dossier events are append-only.")


class DossierEvent(models.Model):
    """One entry of the dossier's history: who did what, when, from which state to which.
    Append-only: rows are never changed or deleted (a database trigger enforces it too)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=32, choices=State.choices)
    to_state = models.CharField(max_length=32, choices=State.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.dossier}: {self.from_state} → {self.to_state}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Dossier events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Dossier events are append-only.")

    @property
    def status_code(self) -> int | None:
        return STATUS_CODES[self.to_state]


class Notification(models.Model):
    """One message sent about one event over one channel: the idempotency record of the
    notification tasks (a rerun finds it sent and does nothing)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    event = models.ForeignKey(DossierEvent, on_delete=models.PROTECT, related_name="notifications")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=255)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "channel"], name="notification_once")
        ]

    def __str__(self):
        return f"{self.event_id} {self.channel} → {self.recipient}"
