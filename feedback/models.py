"""The citizen's voice: a satisfaction rating of the service for one dossier, and feedback
(phản ánh, kiến nghị) about a procedure, an agency or one's own dossier, with the agency's answer.

Both denormalise the agency (and the procedure) they concern, so that the statistics count them
with one index range each (feedback.selectors.rating_counts, feedback_counts)."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Agency
from procedures.models import Procedure
from submissions.models import Dossier, Timeliness


class RatingLevel(models.TextChoices):
    """The overall level of satisfaction. Circular 01/2018/TT-VPCP (Chương III, Art. 13) lets
    each ministry and province design its own evaluation form; these three levels are the ones
    the provincial portals use in practice (Rất hài lòng / Hài lòng / Không hài lòng)."""

    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class RatingChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    # The paper evaluation form (phiếu đánh giá) handed out at the desk, recorded by an officer.
    DESK = "desk", _("Paper form at the desk")


class Rating(models.Model):
    """The applicant's rating of how their dossier was handled: one per dossier, given online by
    the applicant or recorded from the paper form by the desk (Circular 01/2018/TT-VPCP, Chương
    III: forms at the desk and on the portal, the form itself designed locally). Staff may hide
    an abusive comment, with a reason; the rating still counts."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="ratings"
    )
    # Denormalised from the dossier, for cheap counting.
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="ratings"
    )
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="ratings"
    )
    level = models.CharField(_("level"), max_length=16, choices=RatingLevel.choices)
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    channel = models.CharField(
        _("channel"), max_length=8, choices=RatingChannel.choices, default=RatingChannel.ONLINE
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("given"), default=timezone.now)
    hidden_at = models.DateTimeField(_("comment hidden"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hidden by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    hidden_reason = models.CharField(_("reason for hiding"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["dossier"], name="rating_once_per_dossier"),
        ]
        indexes = [
            models.Index(fields=["agency", "created_at"], name="rating_agency_time_idx"),
            models.Index(fields=["created_at"], name="rating_time_idx"),
            models.Index(fields=["procedure", "created_at"], name="rating_procedure_time_idx"),
        ]

    def __str__(self):
        return f"{self.dossier_id}: {self.level}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class FeedbackAbout(models.TextChoices):
    PROCEDURE = "procedure", _("A procedure")
    AGENCY = "agency", _("An agency")
    DOSSIER = "dossier", _("One of my dossiers")


class FeedbackState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ANSWERED = "answered", _("Answered")
    # Not within the agency's remit, or not feedback on administrative rules (Decree 20/2008
    # Art. 9(1)(d)): closed with the reason, the sender is told where to turn.
    REFUSED = "refused", _("Not taken up")


def feedback_storage():
    return storages["dossiers"]


def feedback_file_path(instance: "Feedback", filename: str) -> str:
    """A random name: nothing about it can be guessed (the file is served only to staff)."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"feedback/{uuid.uuid4().hex}.{extension}"


class Feedback(models.Model):
    """One piece of feedback (phản ánh, kiến nghị) and the agency's answer. Received under Decree
    20/2008/NĐ-CP as amended by Decree 92/2017/NĐ-CP; due FEEDBACK_ANSWER_DAYS working days after
    receipt. The published copy (`public_*`) has the sender's personal data masked."""

    code = models.CharField(_("feedback code"), max_length=64, unique=True, editable=False)
    about = models.CharField(_("about"), max_length=12, choices=FeedbackAbout.choices)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="feedback"
    )
    procedure = models.ForeignKey(
        Procedure,
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="feedback",
        null=True,
        blank=True,
    )
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        on_delete=models.PROTECT,
        related_name="feedback",
        null=True,
        blank=True,
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender's account"),
        on_delete=models.PROTECT,
        related_name="feedback_sent",
        null=True,
        blank=True,
    )
    sender_name = models.CharField(_("full name"), max_length=150)
    sender_email = models.EmailField(_("email"), blank=True)
    sender_phone = models.CharField(_("phone"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("content"), max_length=5000)
    attachment = models.FileField(
        _("attachment"),
        storage=feedback_storage,
        upload_to=feedback_file_path,
        max_length=300,
        blank=True,
    )
    attachment_name = models.CharField(_("attachment's name"), max_length=255, blank=True)
    attachment_type = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=FeedbackState.choices,
        default=FeedbackState.RECEIVED,
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    timeliness = models.CharField(
        _("timeliness"), max_length=8, choices=Timeliness.choices, blank=True
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # What the public page shows: masked copies made when the answer is published.
    public_title = models.CharField(_("published title"), max_length=200, blank=True)
    public_body = models.TextField(_("published content"), blank=True)
    public_answer = models.TextField(_("published answer"), blank=True)
    # The sender's rating of the answer (like / dislike on the national portal), once.
    sender_satisfied = models.BooleanField(_("sender satisfied"), null=True, blank=True)
    rated_at = models.DateTimeField(_("answer rated"), null=True, blank=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["agency", "received_at"], name="feedback_agency_time_idx"),
            models.Index(fields=["received_at"], name="feedback_time_idx"),
            models.Index(fields=["agency", "state", "due_at"], name="feedback_queue_idx"),
            models.Index(fields=["sender", "-received_at"], name="feedback_sender_idx"),
            models.Index(
                fields=["-published_at"],
                name="feedback_published_idx",
                condition=models.Q(published_at__isnull=False),
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def is_open(self) -> bool:
        return self.state == FeedbackState.RECEIVED

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class FeedbackSequence(models.Model):
    """The last feedback number given by an agency on a day (as submissions.DailySequence)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="feedbacksequence_agency_day")
        ]

    def __str__(self):
        return f"{self.agency_id} {self.day}: {self.last}"
