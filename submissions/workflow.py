"""The one-stop workflow (DOMAIN.md §3, §5): the staff's actions on a dossier, the clock, and the
slips and results they issue.

Each action locks the dossier's row, takes one FSM transition (which checks the actor's role in
the dossier's agency), saves, appends a `DossierEvent` with the working time the step took, and,
on commit, asks the documents pipeline for the slip (signing.services.document_request) and the
notification task for the email. A second officer acting on the same dossier waits for the lock,
then finds the state changed and gets the "changed meanwhile" message.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import StaffRole, User
from portal.workdays import WorkCalendar, classify
from procedures.models import Channel
from submissions import slips
from submissions.models import Decision, Dossier, State, SupplementRequest
from submissions.services import CLOCK_STATES, _locked, _may_take, _record, _take


def time_limit(dossier: Dossier) -> tuple[float | None, str]:
    """(amount, unit) of the procedure version's time limit: the online channel's, else the
    first channel's."""
    channels = list(dossier.version.channels.all())
    channel = next((c for c in channels if c.kind == Channel.Kind.ONLINE), None) or (
        channels[0] if channels else None
    )
    if channel is None:
        return None, Channel.TimeUnit.WORKING_DAYS
    amount = float(channel.time_amount) if channel.time_amount is not None else None
    return amount, channel.time_unit


def _check_role(transition, actor) -> None:
    if not _may_take(transition, actor):
        raise PermissionDenied


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message, code="required")
    return text


def _expect(dossier: Dossier, expected_state: str | None) -> None:
    """A form sent from a page showing another state: someone acted meanwhile."""
    if expected_state and expected_state != dossier.state:
        raise ValidationError(
            _("This dossier has changed meanwhile (it is now: %(state)s). Reload the page.")
            % {"state": dossier.get_state_display()},
            code="stale",
        )


@transaction.atomic
def dossier_accept(*, dossier: Dossier, actor, expected_state: str | None = None) -> Dossier:
    """Tiếp nhận: the clock starts; the due time follows the procedure's limit in working days
    or hours (after-hours acceptance counts from the next working morning; same-day limits
    after 15:00 roll to the next working day). Issues the receipt (Mẫu 01)."""
    from payments import services as payments

    dossier = _locked(dossier)
    _check_role(dossier.accept, actor)
    _expect(dossier, expected_state)
    if dossier.state == State.SUBMITTED and payments.fee_outstanding(dossier):
        raise ValidationError(
            _("The fee of this procedure is paid before processing and is not paid yet."),
            code="unpaid",
        )
    _take(dossier.accept, actor)
    amount, unit = time_limit(dossier)
    calendar = WorkCalendar()
    if unit == Channel.TimeUnit.SAME_DAY or amount is not None:
        dossier.due_at = calendar.due_at(dossier.received_at, amount or 0, unit)
    dossier.save()
    _record(dossier, actor=actor, action="accept", from_state=State.SUBMITTED)
    slips.issue(dossier, "receipt", actor=actor)
    return dossier


@transaction.atomic
def dossier_refuse(
    *, dossier: Dossier, actor, reasons: str, expected_state: str | None = None
) -> Dossier:
    """Từ chối tiếp nhận (Mẫu 03): the dossier is not eligible."""
    dossier = _locked(dossier)
    _check_role(dossier.refuse, actor)
    reasons = _required(reasons, _("Give the reasons for refusing."))
    _expect(dossier, expected_state)
    _take(dossier.refuse, actor)
    dossier.decision_reasons = reasons
    dossier.save()
    _record(dossier, actor=actor, action="refuse", from_state=State.SUBMITTED, note=reasons)
    slips.issue(dossier, "refusal", actor=actor)
    return dossier


@transaction.atomic
def dossier_request_supplement(
    *, dossier: Dossier, actor, reason: str, items: list[str], expected_state: str | None = None
) -> Dossier:
    """Ask the applicant for more (Mẫu 02). At the desk (submitted) the dossier was never
    accepted and has no clock; from the specialist (processing) the clock pauses with the
    working time left, to resume on resubmission."""
    dossier = _locked(dossier)
    # The specialist's request when the dossier is being processed, or when the actor could only
    # ever make that one (the assignee acting on a dossier that moved on gets "stale", not 403).
    transition = (
        dossier.request_supplement
        if dossier.state == State.PROCESSING
        or not _may_take(dossier.request_intake_supplement, actor)
        else dossier.request_intake_supplement
    )
    if not (
        _may_take(dossier.request_supplement, actor)
        or _may_take(dossier.request_intake_supplement, actor)
    ):
        raise PermissionDenied
    reason = (reason or "").strip()
    items = [item.strip() for item in items if item and item.strip()]
    if not reason or not items:
        raise ValidationError(_("Say what the applicant must supply, and why."), code="empty")
    _expect(dossier, expected_state)
    from_state = dossier.state
    _take(transition, actor)
    if from_state == State.PROCESSING:
        _pause(dossier)
    dossier.save()
    SupplementRequest.objects.create(
        dossier=dossier, requested_by=actor, reason=reason, items=items
    )
    _record(dossier, actor=actor, action="request_supplement", from_state=from_state, note=reason)
    slips.issue(dossier, "supplement", actor=actor, revision=dossier.supplements.count())
    return dossier


def _pause(dossier: Dossier) -> None:
    now = timezone.now()
    dossier.paused_at = now
    if dossier.due_at is not None:
        dossier.time_left = WorkCalendar().working_time_between(now, dossier.due_at)


def resume_clock(dossier: Dossier) -> None:
    """After a pause: the due time is now + the working time that was left (DOMAIN.md §5: it
    resumes, it does not restart). Called with the row locked."""
    if dossier.paused_at is None:
        return
    if dossier.time_left is not None:
        dossier.due_at = WorkCalendar().add_working_time(timezone.now(), dossier.time_left)
        dossier.overdue = dossier.due_at <= timezone.now()
    dossier.paused_at = None
    dossier.time_left = None


@transaction.atomic
def dossier_assign(
    *, dossier: Dossier, actor, specialist: User, expected_state: str | None = None
) -> Dossier:
    dossier = _locked(dossier)
    _check_role(dossier.assign, actor)
    if not (
        specialist is not None
        and specialist.is_active
        and specialist.agency_id == dossier.agency_id
        and specialist.has_role(StaffRole.Role.SPECIALIST)
    ):
        raise ValidationError(_("Choose a specialist of this agency."), code="specialist")
    _expect(dossier, expected_state)
    _take(dossier.assign, actor)
    dossier.assignee = specialist
    dossier.save()
    _record(
        dossier,
        actor=actor,
        action="assign",
        from_state=State.RECEIVED,
        note=specialist.full_name,
    )
    return dossier


@transaction.atomic
def dossier_propose(
    *,
    dossier: Dossier,
    actor,
    decision: str,
    reasons: str = "",
    result_content: str = "",
    expected_state: str | None = None,
) -> Dossier:
    """The specialist's proposal: grant (with the result's content) or deny (with reasons)."""
    dossier = _locked(dossier)
    _check_role(dossier.propose, actor)
    if decision not in Decision.values:
        raise ValidationError(_("Choose to grant or to deny."), code="decision")
    if decision == Decision.DENY:
        reasons = _required(reasons, _("Give the reasons for denying."))
    else:
        result_content = _required(result_content, _("Give the content of the result."))
    _expect(dossier, expected_state)
    _take(dossier.propose, actor)
    dossier.decision = decision
    dossier.decision_reasons = (reasons or "").strip()
    dossier.result_content = (result_content or "").strip()
    dossier.save()
    _record(
        dossier,
        actor=actor,
        action="propose",
        from_state=State.PROCESSING,
        note=Decision(decision).label + (f": {dossier.decision_reasons}" if reasons else ""),
    )
    return dossier


@transaction.atomic
def dossier_send_back(
    *, dossier: Dossier, actor, note: str, expected_state: str | None = None
) -> Dossier:
    dossier = _locked(dossier)
    _check_role(dossier.send_back, actor)
    note = _required(note, _("Say what the specialist should change."))
    _expect(dossier, expected_state)
    _take(dossier.send_back, actor)
    dossier.save()
    _record(dossier, actor=actor, action="send_back", from_state=State.PENDING_APPROVAL, note=note)
    return dossier


@transaction.atomic
def dossier_approve(*, dossier: Dossier, actor, expected_state: str | None = None) -> Dossier:
    """The leader approves the proposal: the worker renders and signs the result (or the
    reasoned refusal letter); its completion resolves the dossier (`dossier_resolve`)."""
    from payments import services as payments

    dossier = _locked(dossier)
    _check_role(dossier.approve, actor)
    _expect(dossier, expected_state)
    if (
        dossier.version.fee_timing == "on_delivery"
        and dossier.decision == Decision.GRANT
        and payments.fee_due(dossier) > 0
        and payments.online_payment_enabled()
        and payments.paid(dossier) is None
    ):
        raise ValidationError(
            _("The fee is paid on delivery and is not paid yet: the specialist asks for it first."),
            code="unpaid",
        )
    _take(dossier.approve, actor)
    dossier.save()
    _record(dossier, actor=actor, action="approve", from_state=State.PENDING_APPROVAL)
    approvals = dossier.events.filter(action="approve").count()
    slips.issue(dossier, "result", actor=actor, revision=approvals)
    return dossier


@transaction.atomic
def dossier_resolve(*, dossier_id: int, document_id: int) -> Dossier | None:
    """The signed result exists: signing → resolved. Idempotent (a second call, or one for an
    older result, does nothing)."""
    dossier = Dossier.objects.select_for_update().filter(pk=dossier_id).first()
    if dossier is None or dossier.state != State.SIGNING:
        return dossier
    from signing.models import Document

    document = Document.objects.filter(pk=document_id, status=Document.Status.SIGNED).first()
    if document is None or document.kind != "result":
        return dossier
    dossier.resolve()
    if dossier.due_at is not None:
        dossier.timeliness = classify(dossier.resolved_at, dossier.due_at)
    dossier.save()
    _record(dossier, actor=None, action="resolve", from_state=State.SIGNING)
    return dossier


@transaction.atomic
def dossier_hand_back(
    *, dossier: Dossier, actor, received_by: str, expected_state: str | None = None
) -> Dossier:
    """Trả kết quả at the desk: who collected the result is recorded."""
    dossier = _locked(dossier)
    _check_role(dossier.hand_back, actor)
    received_by = _required(received_by, _("Say who received the result."))
    _expect(dossier, expected_state)
    _take(dossier.hand_back, actor)
    dossier.returned_to = received_by[:150]
    dossier.save()
    _record(dossier, actor=actor, action="hand_back", from_state=State.RESOLVED, note=received_by)
    return dossier


@transaction.atomic
def dossier_collect_online(*, dossier: Dossier, actor) -> Dossier:
    """Level 4: the applicant downloads the signed result, which hands it back. Later
    downloads change nothing."""
    dossier = _locked(dossier)
    if dossier.state != State.RESOLVED or dossier.version.service_level < 4:
        return dossier
    _take(dossier.collect_online, actor)
    dossier.returned_to = dossier.applicant_name
    dossier.save()
    _record(dossier, actor=actor, action="collect_online", from_state=State.RESOLVED)
    return dossier


@transaction.atomic
def dossier_stop(*, dossier: Dossier, actor, reason: str, expected_state: str | None = None):
    dossier = _locked(dossier)
    _check_role(dossier.stop, actor)
    reason = _required(reason, _("Give the reason for stopping."))
    _expect(dossier, expected_state)
    from_state = dossier.state
    _take(dossier.stop, actor)
    dossier.save()
    _record(dossier, actor=actor, action="stop", from_state=from_state, note=reason)
    return dossier


@transaction.atomic
def dossier_reschedule(
    *,
    dossier: Dossier,
    actor,
    reason: str,
    new_due: dt.datetime,
    expected_state: str | None = None,
) -> Dossier:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04): a leader gives a new date, once per
    dossier, before the due time."""
    dossier = _locked(dossier)
    if not (
        dossier.agency_id == getattr(actor, "agency_id", None)
        and actor.has_role(StaffRole.Role.LEADER)
    ):
        raise PermissionDenied
    reason = _required(reason, _("Give the reason for the delay."))
    _expect(dossier, expected_state)
    now = timezone.now()
    if dossier.state not in CLOCK_STATES or dossier.due_at is None:
        raise ValidationError(_("Only a dossier being processed can get a new date."), code="stale")
    if dossier.rescheduled:
        raise ValidationError(
            _("This dossier already had its apology letter: a new date is given only once."),
            code="once",
        )
    if now >= dossier.due_at:
        raise ValidationError(
            _("The due time has passed: the apology letter must be sent before it."),
            code="late",
        )
    if new_due <= dossier.due_at:
        raise ValidationError(
            _("The new date must be after the current due time."), code="new_date"
        )
    dossier.original_due_at = dossier.due_at
    dossier.due_at = new_due
    dossier.rescheduled = True
    dossier.save()
    _record(dossier, actor=actor, action="reschedule", from_state=dossier.state, note=reason)
    slips.issue(dossier, "apology", actor=actor, extra={"reason": reason})
    return dossier


def mark_overdue(now: dt.datetime | None = None) -> int:
    """Keep the `overdue` flag: running dossiers past their due time. Returns how many
    changed (a second run changes none)."""
    now = now or timezone.now()
    running = Dossier.objects.filter(state__in=CLOCK_STATES, paused_at__isnull=True)
    late = running.filter(due_at__lt=now, overdue=False).update(overdue=True)
    cleared = (
        Dossier.objects.filter(overdue=True)
        .exclude(state__in=CLOCK_STATES, due_at__lt=now)
        .update(overdue=False)
    )
    return late + cleared


def resolve_signed_results() -> int:
    """The sweeper's half of `dossier_resolve`: dossiers still `signing` whose result is
    signed (in case the signal's task was lost)."""
    from django.contrib.contenttypes.models import ContentType

    from signing.models import Document

    ct = ContentType.objects.get_for_model(Dossier)
    done = 0
    for dossier_id in Dossier.objects.filter(state=State.SIGNING).values_list("pk", flat=True):
        document = (
            Document.objects.filter(
                owner_type=ct, owner_id=dossier_id, kind="result", status=Document.Status.SIGNED
            )
            .order_by("-revision")
            .first()
        )
        if document is not None:
            dossier_resolve(dossier_id=dossier_id, document_id=document.pk)
            done += 1
    return done


@transaction.atomic
def dossier_request_payment(*, dossier: Dossier, actor, expected_state: str | None = None):
    """The fee is due on delivery (thu sau): the assigned specialist asks for it; the clock
    pauses until the gateway confirms the payment (payments.services)."""
    from payments import services as payments

    dossier = _locked(dossier)
    _check_role(dossier.request_payment, actor)
    _expect(dossier, expected_state)
    if (
        dossier.version.fee_timing != "on_delivery"
        or payments.fee_due(dossier) == 0
        or not payments.online_payment_enabled()
        or payments.paid(dossier) is not None
    ):
        raise ValidationError(_("This procedure has no fee to pay on delivery."), code="no_fee")
    _take(dossier.request_payment, actor)
    _pause(dossier)
    dossier.save()
    _record(dossier, actor=actor, action="request_payment", from_state=State.PROCESSING)
    return dossier


@transaction.atomic
def dossier_payment_received(*, dossier: Dossier, payment) -> Dossier:
    """The gateway confirmed the fee: processing resumes with the time that was left."""
    dossier = _locked(dossier)
    if dossier.state != State.AWAITING_PAYMENT:
        return dossier
    dossier.payment_received()
    resume_clock(dossier)
    dossier.save()
    _record(
        dossier,
        actor=None,
        action="payment_received",
        from_state=State.AWAITING_PAYMENT,
        note=f"{payment.amount:,} VND ({payment.order_ref})".replace(",", "."),
    )
    return dossier
