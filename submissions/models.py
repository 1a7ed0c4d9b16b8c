"""Dossiers (hồ sơ): the citizen's filing, its files, its append-only history.

The state is a protected django-fsm-2 field: it changes only through the transitions below, which
check the state and the actor's role and do no I/O. `submissions.services` wraps each one: it
locks the row, saves, records a `DossierEvent` and enqueues work on commit.
"""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition

from portal.models import Agency, StaffRole
from procedures.models import ProcedureVersion, RequiredDocument


class Decision(models.TextChoices):
    GRANT = "grant", _("Grant")
    DENY = "deny", _("Deny")


class Timeliness(models.TextChoices):
    EARLY = "early", _("Early")
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")


class EventAction(models.TextChoices):
    """What happened to a dossier: one `DossierEvent.action` each (DOMAIN.md §3)."""

    SUBMIT = "submit", _("Submitted")
    REQUEST_SUPPLEMENT = "request_supplement", _("Supplement requested")
    RESUBMIT = "resubmit", _("Supplement sent")
    WITHDRAW = "withdraw", _("Withdrawn")
    ACCEPT = "accept", _("Accepted")
    REFUSE = "refuse", _("Refused")
    ASSIGN = "assign", _("Forwarded to a specialist")
    PROPOSE = "propose", _("Sent for approval")
    SEND_BACK = "send_back", _("Sent back to the specialist")
    APPROVE = "approve", _("Approved")
    RESOLVE = "resolve", _("Result signed")
    HAND_BACK = "hand_back", _("Result returned at the desk")
    COLLECT_ONLINE = "collect_online", _("Result downloaded")
    STOP = "stop", _("Processing stopped")
    RESCHEDULE = "reschedule", _("New date given")
    REQUEST_PAYMENT = "request_payment", _("Fee requested")
    PAYMENT_RECEIVED = "payment_received", _("Fee paid")
    # Liên thông: the receiving centre hands the dossier to the resolving agency, and the
    # agency hands the result back to the centre.
    TRANSFER = "transfer", _("Handed to the resolving agency")
    TRANSFER_RESULT = "transfer_result", _("Result handed back to the service centre")


class DocumentKind(models.TextChoices):
    """The signed papers issued for a dossier or an agency (`signing.Document.kind`): the
    one-stop slips (Circular 01/2018/TT-VPCP, Mẫu 01-06), the result and the fee receipt."""

    RECEIPT = "receipt", _("Receipt and appointment (Mẫu 01)")
    SUPPLEMENT = "supplement", _("Supplement request (Mẫu 02)")
    REFUSAL = "refusal", _("Refusal (Mẫu 03)")
    APOLOGY = "apology", _("Apology and new date (Mẫu 04)")
    CONTROL_SHEET = "control_sheet", _("Control sheet (Mẫu 05)")
    REGISTER = "register", _("Register (Mẫu 06)")
    RESULT = "result", _("Result")
    FEE_RECEIPT = "fee_receipt", _("Fee receipt")
    STOP_NOTICE = "stop_notice", _("Notice of stopping")
    CERTIFIED_COPY = "certified_copy", _("Certified electronic copy")
    DRAFT = "draft", _("Draft result (dự thảo)")
    # An agency's periodic report of its procedures' results (Biểu số 06/VPCP/KSTT, stats.reports).
    REPORT = "report", _("Report on procedure results (Biểu 06)")
    ANNEX = "annex", _("Annex to the result")


class IntakeChannel(models.TextChoices):
    """How a dossier reached the one-stop desk. The desk receives dossiers in person, by post,
    through the public postal service (dịch vụ bưu chính công ích) and online (Decree 118/2025
    on the one-stop mechanism, which replaced Decree 61/2018; Decision 45/2016/QĐ-TTg on the
    public postal service); the register (Mẫu 06), the receipt (Mẫu 01) and the online-filing
    rate all read it."""

    ONLINE = "online", _("Online")
    IN_PERSON = "in_person", _("In person")
    POST = "post", _("By post")
    PUBLIC_POST = "public_post", _("Public postal service")


class ResultDelivery(models.TextChoices):
    """How the applicant receives the result: online (a fully online service, Decree 42/2022),
    at the desk, or by post (Decision 45/2016/QĐ-TTg: results returned through the public postal
    service). Chosen at filing, changeable until the result is being signed."""

    ONLINE = "online", _("Online (download)")
    DESK = "desk", _("At the desk")
    POST = "post", _("By post")


class FilerRole(models.TextChoices):
    """Who files for whom: the filer (người nộp) and the subject (chủ hồ sơ) may differ."""

    SELF = "self", _("For themself")
    PARENT = "parent", _("Parent or guardian, for a pupil")
    REPRESENTATIVE = "representative", _("Authorised representative")
    ORGANISATION = "organisation", _("For an organisation")


class IdType(models.TextChoices):
    CITIZEN_ID = "citizen_id", _("Vietnamese citizen ID")
    # A citizen whose birth was registered abroad: the number's first 3 digits are the code of
    # the country of registration, not of a province (portal.citizen_id).
    CITIZEN_ID_ABROAD = "id_abroad", _("Vietnamese citizen ID, birth registered abroad")
    PASSPORT = "passport", _("Passport")


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

# States in which the statutory clock runs (DOMAIN.md §5).
CLOCK_STATES = frozenset({State.RECEIVED, State.PROCESSING, State.PENDING_APPROVAL, State.SIGNING})
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


def _is_officer_of(instance: "Dossier", user, *, front: bool = False) -> bool:
    """An officer of the agency that resolves the dossier, or with `front`, of the one whose
    desk faces the applicant (the service centre that received it, if one did)."""
    agency_id = instance.front_agency_id if front else instance.agency_id
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.agency_id is not None
        and user.agency_id == agency_id
    )


def _has_role(*roles: str, front: bool = False):
    """Permission: an officer of the dossier's agency (with `front`: of the body that received
    it) holding one of `roles`."""

    def check(instance: "Dossier", user) -> bool:
        return _is_officer_of(instance, user, front=front) and user.has_role(*roles)

    check.roles = roles
    return check


_front_desk = _has_role(StaffRole.Role.DESK, front=True)


def _desk_for_paper(instance: "Dossier", user) -> bool:
    """The receiving desk, for a dossier with no account behind it (taken in on paper)."""
    return instance.applicant_id is None and _front_desk(instance, user)


def _at_resolving_agency(instance: "Dossier") -> bool:
    return instance.at_resolving_agency


def _result_at_front_desk(instance: "Dossier") -> bool:
    return instance.result_at_front_desk


_desk_for_paper.roles = (StaffRole.Role.DESK,)


def _is_assignee(instance: "Dossier", user) -> bool:
    """The specialist the dossier is assigned to."""
    return _has_role(StaffRole.Role.SPECIALIST)(instance, user) and instance.assignee_id == user.pk


_is_assignee.roles = (StaffRole.Role.SPECIALIST,)


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
    # The citizen's account; none for a dossier taken in at the desk from someone without one
    # (the applicant's details below are then all there is, and tracking works by code and ID).
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        null=True,
        blank=True,
    )
    version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("procedure version"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    # The agency that resolves the dossier (the procedure's).
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("resolving agency"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    # The service centre that received it for that agency (liên thông), if one did; it
    # accepts, hands the dossier over, gets the result back and returns it.
    receiving_agency = models.ForeignKey(
        Agency,
        verbose_name=_("receiving service centre"),
        on_delete=models.PROTECT,
        related_name="received_dossiers",
        null=True,
        blank=True,
    )
    transferred_at = models.DateTimeField(
        _("handed to the resolving agency"), null=True, blank=True
    )
    result_transferred_at = models.DateTimeField(
        _("result handed back to the centre"), null=True, blank=True
    )
    state = FSMField(
        _("state"), max_length=32, choices=State.choices, default=State.DRAFT, protected=True
    )
    # Who the dossier is for, as the applicant gave it (prefilled from the profile).
    channel = models.CharField(
        _("filing channel"),
        max_length=16,
        choices=IntakeChannel.choices,
        default=IntakeChannel.ONLINE,
        help_text=_("How the dossier reached the desk"),
    )
    filer_role = models.CharField(
        _("filing for"), max_length=16, choices=FilerRole.choices, default=FilerRole.SELF
    )
    applicant_id_type = models.CharField(
        _("identity document"), max_length=12, choices=IdType.choices, default=IdType.CITIZEN_ID
    )
    applicant_nationality = models.CharField(_("nationality"), max_length=80, blank=True)
    subject_name = models.CharField(_("subject's full name"), max_length=150, blank=True)
    subject_id_number = models.CharField(_("subject's ID number"), max_length=12, blank=True)
    subject_birth_date = models.DateField(_("subject's date of birth"), null=True, blank=True)
    org_name = models.CharField(_("organisation"), max_length=255, blank=True)
    org_tax_code = models.CharField(_("enterprise or tax code"), max_length=14, blank=True)
    org_address = models.CharField(_("organisation's address"), max_length=255, blank=True)
    org_representative = models.CharField(_("legal representative"), max_length=150, blank=True)
    result_delivery = models.CharField(
        _("result delivery"),
        max_length=8,
        choices=ResultDelivery.choices,
        default=ResultDelivery.DESK,
    )
    delivery_address = models.CharField(_("delivery address"), max_length=255, blank=True)
    post_service = models.CharField(_("postal service"), max_length=80, blank=True)
    post_tracking = models.CharField(_("postal tracking number"), max_length=40, blank=True)
    post_sent_at = models.DateTimeField(_("sent by post"), null=True, blank=True)
    post_delivered_at = models.DateTimeField(_("delivered by post"), null=True, blank=True)
    applicant_name = models.CharField(_("full name"), max_length=150, blank=True)
    # The citizen ID number, or the passport number of a filer without one (applicant_id_type).
    applicant_citizen_id = models.CharField(_("citizen ID number"), max_length=20, blank=True)
    applicant_phone = models.CharField(_("phone"), max_length=16, blank=True)
    applicant_email = models.EmailField(_("email"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=255, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # An API client's own reference for a one-call filing (Idempotency-Key): a retried request
    # finds the dossier its first attempt filed instead of filing a second one.
    client_ref = models.CharField(max_length=64, blank=True, editable=False)
    # The state a resubmission returns to (submitted before acceptance, processing after).
    resume_state = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    received_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # --- the workflow (office.services, through submissions.lifecycle) ---
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned specialist"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_dossiers",
    )
    # While the clock is paused (the applicant owes a supplement or a fee): since when, and the
    # working time that was left; the due time is set again from it on resumption.
    paused_at = models.DateTimeField(_("clock paused"), null=True, blank=True)
    time_left = models.DurationField(_("working time left"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    rescheduled = models.BooleanField(_("new date given (Mẫu 04)"), default=False)
    original_due_at = models.DateTimeField(_("original due time"), null=True, blank=True)
    decision = models.CharField(
        _("proposed decision"), max_length=8, choices=Decision.choices, blank=True
    )
    decision_reasons = models.TextField(_("reasons"), blank=True)
    result_content = models.TextField(_("content of the result"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    returned_at = models.DateTimeField(_("result returned"), null=True, blank=True)
    returned_to = models.CharField(_("result received by"), max_length=150, blank=True)
    timeliness = models.CharField(
        _("timeliness"), max_length=8, choices=Timeliness.choices, blank=True
    )

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "client_ref"],
                condition=~models.Q(client_ref=""),
                name="dossier_client_ref_once",
            ),
            # A desk intake sent twice (a double click, a retry) makes one dossier.
            models.UniqueConstraint(
                fields=["agency", "client_ref"],
                condition=models.Q(client_ref__startswith="intake:", applicant__isnull=True),
                name="dossier_intake_once",
            ),
        ]
        indexes = [
            models.Index(fields=["applicant", "-updated_at"], name="dossier_applicant_idx"),
            models.Index(fields=["agency", "state", "submitted_at"], name="dossier_queue_idx"),
            models.Index(fields=["agency", "applicant_citizen_id"], name="dossier_citizen_idx"),
            # The register (selectors.register_rows): one range on the day it counts, the
            # acceptance or else the submission; the two columns after it let COUNT(*) be
            # answered from the index alone.
            models.Index(
                F("agency"),
                Coalesce("received_at", "submitted_at"),
                F("received_at"),
                F("submitted_at"),
                name="dossier_register_day_idx",
            ),
            models.Index(fields=["assignee", "state"], name="dossier_assignee_idx"),
            # A service centre's queue and register: the dossiers it received for others.
            models.Index(
                fields=["receiving_agency", "state", "submitted_at"],
                name="dossier_centre_queue_idx",
                condition=models.Q(receiving_agency__isnull=False),
            ),
            models.Index(
                F("receiving_agency"),
                Coalesce("received_at", "submitted_at"),
                F("received_at"),
                F("submitted_at"),
                name="dossier_centre_register_idx",
                condition=models.Q(receiving_agency__isnull=False),
            ),
            # An agency's running dossiers by due time: its overdue and due-soon counts and lists
            # (stats.indicators, office.dashboard), answered from the index alone.
            models.Index(
                fields=["agency", "due_at"],
                name="dossier_running_agency_due_idx",
                condition=models.Q(
                    state__in=["received", "processing", "pending_approval", "signing"]
                ),
            ),
            # The agency's dossiers resolved late in a month (office.dashboard).
            models.Index(
                fields=["agency", "resolved_at"],
                name="dossier_resolved_late_idx",
                condition=models.Q(timeliness="late"),
            ),
            models.Index(
                fields=["due_at"],
                name="dossier_running_due_idx",
                condition=models.Q(
                    state__in=["received", "processing", "pending_approval", "signing"]
                ),
            ),
        ]

    def __str__(self):
        return self.code or str(_("Draft %(id)s") % {"id": str(self.public_id)[:8]})

    @property
    def front_agency_id(self) -> int:
        """The body whose desk faces the applicant: the centre that received the dossier, or
        the resolving agency itself."""
        return self.receiving_agency_id or self.agency_id

    @property
    def front_agency(self) -> Agency:
        return self.receiving_agency if self.receiving_agency_id else self.agency

    @property
    def at_resolving_agency(self) -> bool:
        """The dossier is in the resolving agency's hands: it received it, or the centre that
        did has handed it over."""
        return self.receiving_agency_id is None or self.transferred_at is not None

    @property
    def result_at_front_desk(self) -> bool:
        """The result is where the applicant collects it: the agency returns its own, a centre
        once the agency has handed the result back."""
        return self.receiving_agency_id is None or self.result_transferred_at is not None

    @property
    def status_code(self) -> int | None:
        return STATUS_CODES[self.state]

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def can_withdraw(self) -> bool:
        return self.state in WITHDRAWABLE_STATES

    # --- transitions: state and guards only (see submissions.services and .workflow) -----

    @transition(field=state, source=State.DRAFT, target=State.SUBMITTED, permission=_is_applicant)
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.SUPPLEMENT_REQUIRED,
        permission=_front_desk,
    )
    def request_intake_supplement(self):
        """The desk finds the dossier incomplete (Mẫu 02): not accepted, no clock yet."""
        self.resume_state = self.state

    @transition(
        field=state,
        source=State.PROCESSING,
        target=State.SUPPLEMENT_REQUIRED,
        permission=_is_assignee,
    )
    def request_supplement(self):
        """The specialist needs more: the clock pauses (workflow.dossier_request_supplement)."""
        self.resume_state = self.state

    @transition(
        field=state,
        source=State.SUPPLEMENT_REQUIRED,
        target=GET_STATE(
            lambda self: self.resume_state or State.SUBMITTED,
            states=[State.SUBMITTED, State.PROCESSING],
        ),
        permission=_is_applicant,
    )
    def resubmit(self):
        """Back to where the request was made: the desk's queue, or the specialist's with the
        clock running again with the time that was left."""

    @transition(
        field=state,
        source=State.SUPPLEMENT_REQUIRED,
        target=GET_STATE(
            lambda self: self.resume_state or State.SUBMITTED,
            states=[State.SUBMITTED, State.PROCESSING],
        ),
        permission=_desk_for_paper,
    )
    def receive_supplement(self):
        """The same, for a dossier taken in on paper: the desk records the supplement."""

    @transition(
        field=state,
        source=WITHDRAWABLE_STATES,
        target=State.WITHDRAWN,
        permission=_is_applicant,
    )
    def withdraw(self):
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.RECEIVED,
        permission=_front_desk,
    )
    def accept(self):
        self.received_at = timezone.now()

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.REFUSED,
        permission=_front_desk,
    )
    def refuse(self):
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.RECEIVED,
        target=State.PROCESSING,
        permission=_has_role(StaffRole.Role.DESK, StaffRole.Role.LEADER),
        conditions=[_at_resolving_agency],
    )
    def assign(self):
        """The desk or a leader hands the dossier to a specialist of the agency."""

    @transition(
        field=state,
        source=State.PROCESSING,
        target=State.PENDING_APPROVAL,
        permission=_is_assignee,
    )
    def propose(self):
        """The assigned specialist proposes to grant or to deny."""

    @transition(
        field=state,
        source=State.PENDING_APPROVAL,
        target=State.PROCESSING,
        permission=_has_role(StaffRole.Role.LEADER),
    )
    def send_back(self):
        """The leader returns the proposal to the specialist."""

    @transition(
        field=state,
        source=State.PENDING_APPROVAL,
        target=State.SIGNING,
        permission=_has_role(StaffRole.Role.LEADER),
    )
    def approve(self):
        """The leader approves: the result is rendered and signed by the worker."""

    @transition(field=state, source=State.SIGNING, target=State.RESOLVED)
    def resolve(self):
        """Taken by the system when the signed result exists."""
        self.resolved_at = timezone.now()

    @transition(
        field=state,
        source=State.RESOLVED,
        target=State.RETURNED,
        permission=_front_desk,
        conditions=[_result_at_front_desk],
    )
    def hand_back(self):
        """The desk hands the result to the applicant (in person, or by post)."""
        self.returned_at = self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.RESOLVED,
        target=State.RETURNED,
        permission=_is_applicant,
    )
    def collect_online(self):
        """Level 4: the applicant's download of the signed result is the hand-back."""
        self.returned_at = self.closed_at = timezone.now()

    @transition(
        field=state,
        source=[
            State.RECEIVED,
            State.PROCESSING,
            State.PENDING_APPROVAL,
            State.SUPPLEMENT_REQUIRED,
            State.AWAITING_PAYMENT,
        ],
        target=State.STOPPED,
        permission=_has_role(StaffRole.Role.LEADER),
        conditions=[_at_resolving_agency],  # not while a centre still holds it
    )
    def stop(self):
        """The agency stops processing (Decree 118/2025: notice of stopping)."""
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.PROCESSING,
        target=State.AWAITING_PAYMENT,
        permission=_is_assignee,
    )
    def request_payment(self):
        """A fee due on delivery: the clock pauses until it is paid (the payments issue)."""
        self.resume_state = self.state

    @transition(field=state, source=State.AWAITING_PAYMENT, target=State.PROCESSING)
    def payment_received(self):
        """Taken by the system when the gateway confirms the payment."""


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


class ResultDraft(models.Model):
    """One version of the result's draft (dự thảo): what the specialist proposed, filled from
    the procedure's result template (or the portal's default wording) and the dossier. Each
    proposal adds one; none is changed or removed. The leader approves the newest, and the
    signed result is that draft's content, numbered and signed."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="drafts")
    number = models.PositiveSmallIntegerField(_("draft"))
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    template = models.ForeignKey(
        "procedures.ResultTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    values = models.JSONField(_("blanks filled in"), default=dict, blank=True)
    content = models.JSONField(_("content"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("draft result")
        verbose_name_plural = _("draft results")
        ordering = ["dossier", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "number"], name="result_draft_number_once")
        ]

    def __str__(self):
        return f"{self.dossier}: dự thảo {self.number}"


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
    # Indexed: the statistics look for files added since their last count (stats.aggregates).
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, db_index=True)
    # 0 for the first filing, n for the files sent in answer to the n-th supplement request.
    round = models.PositiveSmallIntegerField(default=0)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("dossier file")
        verbose_name_plural = _("dossier files")
        ordering = ["requirement__order", "requirement_id", "uploaded_at", "pk"]

    def __str__(self):
        return self.name


class IntakeComponent(models.Model):
    """One component of a paper dossier as the desk received it: in which form, how many
    sheets and sets (the receipt, Mẫu 01, lists them); its scans are the dossier's files for
    the same requirement."""

    class Form(models.TextChoices):
        ORIGINAL = "original", _("Original")
        COPY = "copy", _("Copy")
        CERTIFIED_COPY = "certified_copy", _("Certified copy")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="components")
    requirement = models.ForeignKey(RequiredDocument, on_delete=models.PROTECT, related_name="+")
    form = models.CharField(_("form"), max_length=16, choices=Form.choices)
    sheets = models.PositiveSmallIntegerField(_("sheets"), default=1)
    sets = models.PositiveSmallIntegerField(_("sets"), default=1)
    # Certified as an electronic copy of the original (bản sao điện tử được chứng thực từ bản
    # chính): who, when, and the signed certificate naming each scan's SHA-256.
    certified_at = models.DateTimeField(_("certified"), null=True, blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    certificate_code = models.CharField(_("certificate code"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("component received")
        verbose_name_plural = _("components received")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "requirement"], name="component_once")
        ]

    def __str__(self):
        return f"{self.dossier_id}: {self.requirement_id} ({self.form})"


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
    action = models.CharField(max_length=32, choices=EventAction.choices)
    from_state = models.CharField(max_length=32, choices=State.choices)
    to_state = models.CharField(max_length=32, choices=State.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Working time the step took (since the previous event, while the clock ran), and how the
    # step ended against the dossier's due time (Mẫu 05: early / on time / late).
    working_time = models.DurationField(null=True, blank=True)
    timeliness = models.CharField(max_length=8, choices=Timeliness.choices, blank=True)
    # The due time in force after this event: the next step is classed against it (a new date
    # given by the apology letter, or a clock resumed after a pause, counts from then on).
    due_at = models.DateTimeField(null=True, blank=True)

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
