"""The one-stop workflow (DOMAIN.md §3, §5): the staff's actions on a dossier, the clock, and the
slips and results they issue.

Each action locks the dossier's row, checks the actor's role before anything else (someone
without it learns nothing from the messages), checks the input and the state the officer saw,
takes one FSM transition (submissions.lifecycle), saves, appends a `DossierEvent` with the
working time the step took, and, on commit, asks the documents pipeline for the slip
(office.slips) and the notification task for the email. A second officer acting on the same
dossier waits for the lock, then finds the state changed and gets the "changed meanwhile"
message. Refusals are `PermissionDenied` and `ValidationError`s (field-tied ones keyed by the
action's field name), turned into responses by portal.errors.
"""

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from office import selectors, slips
from payments import fees
from portal.models import StaffRole, User
from portal.workdays import WorkCalendar
from procedures import windows
from procedures.models import Channel, ResultTemplate
from signing import selectors as signing_selectors
from signing import services as signing_services
from signing.models import Document
from submissions import lifecycle
from submissions import services as filing
from submissions.lifecycle import CLOCK_STATES
from submissions.models import (
    Decision,
    DocumentKind,
    Dossier,
    EventAction,
    IntakeChannel,
    ResultDelivery,
    ResultDraft,
    State,
    SupplementRequest,
)


def _required(text: str, message: str, *, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: ValidationError(message, code="required")})
    return text


@transaction.atomic
def dossier_accept(*, dossier: Dossier, actor, expected_state: str | None = None) -> Dossier:
    """Tiếp nhận: the clock starts; the due time follows the procedure's limit in working days
    or hours (after-hours acceptance counts from the next working morning; same-day limits
    after 15:00 roll to the next working day). Issues the receipt (Mẫu 01)."""
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.accept, actor)
    lifecycle.expect(dossier, expected_state)
    if dossier.state == State.SUBMITTED and fees.fee_outstanding(dossier):
        raise ValidationError(
            _("The fee of this procedure is paid before processing and is not paid yet."),
            code="unpaid",
        )
    lifecycle.take(dossier.accept, actor)
    amount, unit = dossier.version.time_limit()
    if unit == Channel.TimeUnit.SAME_DAY or amount is not None:
        # From receipt, or from the close of the filing window where the law says so.
        start = windows.clock_start(dossier, dossier.received_at)
        dossier.due_at = WorkCalendar(dossier.agency).due_at(start, amount or 0, unit)
    dossier.save()
    lifecycle.record(dossier, actor=actor, action=EventAction.ACCEPT, from_state=State.SUBMITTED)
    slips.issue(dossier, DocumentKind.RECEIPT, actor=actor, agency=dossier.front_agency)
    if dossier.receiving_agency_id and dossier.channel == IntakeChannel.ONLINE:
        # An electronic dossier goes to the resolving agency at once (DOMAIN.md §3.2).
        _handoff(dossier, actor=actor, action=EventAction.TRANSFER)
    return dossier


@transaction.atomic
def dossier_refuse(
    *, dossier: Dossier, actor, reasons: str, expected_state: str | None = None
) -> Dossier:
    """Từ chối tiếp nhận (Mẫu 03): the dossier is not eligible."""
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.refuse, actor)
    reasons = _required(reasons, _("Give the reasons for refusing."), field="reasons")
    lifecycle.expect(dossier, expected_state)
    lifecycle.take(dossier.refuse, actor)
    dossier.decision_reasons = reasons
    dossier.save()
    lifecycle.record(
        dossier, actor=actor, action=EventAction.REFUSE, from_state=State.SUBMITTED, note=reasons
    )
    slips.issue(dossier, DocumentKind.REFUSAL, actor=actor, agency=dossier.front_agency)
    return dossier


def supplement_already_requested(dossier: Dossier):
    """When the dossier was already asked for a supplement while being processed, if it was.

    The processing agency asks for a supplement once, in writing, with everything missing and
    why: Decree 61/2018/NĐ-CP Art. 16(2)(a) as amended by Decree 107/2021/NĐ-CP, a rule Decree
    118/2025/NĐ-CP keeps (the article numbers are not confirmed against the texts here: see the
    README). The desk's request before acceptance (Mẫu 02) is not counted."""
    event = (
        dossier.events.filter(action=EventAction.REQUEST_SUPPLEMENT, from_state=State.PROCESSING)
        .order_by("created_at")
        .first()
    )
    return event.created_at if event else None


@transaction.atomic
def dossier_request_supplement(
    *, dossier: Dossier, actor, reason: str, items: list[str], expected_state: str | None = None
) -> Dossier:
    """Ask the applicant for more (Mẫu 02). At the desk (submitted) the dossier was never
    accepted and has no clock; from the specialist (processing) the clock pauses with the
    working time left, to resume on resubmission."""
    dossier = lifecycle.lock(dossier)
    # The specialist's request when the dossier is being processed, or when the actor could only
    # ever make that one (the assignee acting on a dossier that moved on gets "stale", not 403).
    at_desk = lifecycle.may_take(dossier.request_intake_supplement, actor)
    if not (at_desk or lifecycle.may_take(dossier.request_supplement, actor)):
        raise PermissionDenied
    transition = (
        dossier.request_supplement
        if dossier.state == State.PROCESSING or not at_desk
        else dossier.request_intake_supplement
    )
    reason = (reason or "").strip()
    items = [item.strip() for item in items if item and item.strip()]
    if not reason or not items:
        raise ValidationError(_("Say what the applicant must supply, and why."), code="empty")
    lifecycle.expect(dossier, expected_state)
    from_state = dossier.state
    if from_state == State.PROCESSING:
        earlier = supplement_already_requested(dossier)
        if earlier is not None:
            raise ValidationError(
                _(
                    "A supplement may be asked for only once while a dossier is processed, and "
                    "it was on %(date)s. If the dossier still cannot be resolved, propose a "
                    "refusal with its reasons."
                )
                % {"date": timezone.localtime(earlier).strftime("%d/%m/%Y")},
                code="once",
            )
    lifecycle.take(transition, actor)
    if from_state == State.PROCESSING:
        lifecycle.pause_clock(dossier)
    dossier.save()
    SupplementRequest.objects.create(
        dossier=dossier, requested_by=actor, reason=reason, items=items
    )
    lifecycle.record(
        dossier,
        actor=actor,
        action=EventAction.REQUEST_SUPPLEMENT,
        from_state=from_state,
        note=reason,
    )
    slips.issue(
        dossier,
        DocumentKind.SUPPLEMENT,
        actor=actor,
        revision=dossier.supplements.count(),
        agency=dossier.front_agency if from_state == State.SUBMITTED else dossier.agency,
    )
    return dossier


@transaction.atomic
def dossier_assign(
    *, dossier: Dossier, actor, specialist: User, expected_state: str | None = None
) -> Dossier:
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.assign, actor)
    if not (
        specialist is not None
        and specialist.is_active
        and specialist.agency_id == dossier.agency_id
        and specialist.has_role(StaffRole.Role.SPECIALIST)
    ):
        raise ValidationError(_("Choose a specialist of this agency."), code="specialist")
    lifecycle.expect(dossier, expected_state)
    if dossier.state == State.RECEIVED and (still := _still_at_centre(dossier)):
        raise still
    lifecycle.take(dossier.assign, actor)
    dossier.assignee = specialist
    dossier.save()
    lifecycle.record(
        dossier,
        actor=actor,
        action=EventAction.ASSIGN,
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
    values: dict | None = None,
    expected_state: str | None = None,
) -> Dossier:
    """The specialist's proposal: grant (with the result's content) or deny (with reasons),
    and the result's draft (dự thảo): the procedure version's result template filled from the
    dossier and the blanks the template leaves to the specialist (`values`), or the portal's
    wording; each proposal keeps a new draft, rendered for the leader to read."""
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.propose, actor)
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose to grant or to deny.")})
    if decision == Decision.DENY:
        reasons = _required(reasons, _("Give the reasons for denying."), field="reasons")
    else:
        result_content = _required(
            result_content, _("Give the content of the result."), field="result_content"
        )
    template = result_template_for(dossier, decision)
    edits = _blanks_filled(template, values or {})
    lifecycle.expect(dossier, expected_state)
    lifecycle.take(dossier.propose, actor)
    dossier.decision = decision
    dossier.decision_reasons = (reasons or "").strip()
    dossier.result_content = (result_content or "").strip()
    dossier.save()
    _new_draft(dossier, actor=actor, template=template, edits=edits)
    lifecycle.record(
        dossier,
        actor=actor,
        action=EventAction.PROPOSE,
        from_state=State.PROCESSING,
        note=Decision(decision).label + (f": {dossier.decision_reasons}" if reasons else ""),
    )
    return dossier


def result_template_for(dossier: Dossier, decision: str):
    """The version's result template for a decision to grant (a decision, certificate or
    confirmation) or to deny (a reasoned refusal); None: the portal's wording."""
    kinds = (
        ResultTemplate.GRANTING if decision == Decision.GRANT else (ResultTemplate.Kind.REFUSAL,)
    )
    return dossier.version.result_templates.filter(kind__in=kinds).order_by("kind", "pk").first()


def _blanks_filled(template, values: dict) -> dict:
    """The template's blanks as the specialist filled them; every one is needed."""
    if template is None:
        return {}
    edits, missing = {}, []
    for name, label in template.blanks():
        value = str(values.get(name, "") or "").strip()[:500]
        if not value:
            missing.append(label)
        edits[name] = value
    if missing:
        message = _("Fill in the result's blanks: %(labels)s.") % {"labels": ", ".join(missing)}
        raise ValidationError({"values": message})
    return edits


def _new_draft(dossier: Dossier, *, actor, template, edits: dict) -> ResultDraft:
    number = (dossier.drafts.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = ResultDraft.objects.create(
        dossier=dossier,
        number=number,
        decision=dossier.decision,
        template=template,
        values=edits,
        content=slips.result_content(dossier, template=template, edits=edits),
        created_by=actor,
    )
    slips.issue_draft(dossier, draft, actor=actor)
    return draft


@transaction.atomic
def dossier_send_back(
    *, dossier: Dossier, actor, note: str, expected_state: str | None = None
) -> Dossier:
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.send_back, actor)
    note = _required(note, _("Say what the specialist should change."), field="note")
    lifecycle.expect(dossier, expected_state)
    lifecycle.take(dossier.send_back, actor)
    dossier.save()
    lifecycle.record(
        dossier,
        actor=actor,
        action=EventAction.SEND_BACK,
        from_state=State.PENDING_APPROVAL,
        note=note,
    )
    return dossier


def _leader_certificate(dossier: Dossier, actor):
    """The personal certificate the leader signs the result with (None: the agency signs
    alone). Decree 30/2020 Art. 5: the result signed by the leader and by the agency, when the
    leader holds a personal certificate; an agency may require it."""
    personal = signing_selectors.personal_certificate_for(user=actor)
    if personal is None and dossier.agency.requires_personal_signature:
        raise ValidationError(
            _(
                "Your agency requires the leader's personal digital signature on results, and "
                "you have no personal signing certificate in force. Ask the agency "
                "administrator to register your certificate, then approve again."
            ),
            code="no_personal_certificate",
        )
    return personal


@transaction.atomic
def dossier_approve(*, dossier: Dossier, actor, expected_state: str | None = None) -> Dossier:
    """The leader approves the proposal: the worker renders and signs the result (or the
    reasoned refusal letter); its completion resolves the dossier
    (submissions.services.dossier_resolve, on `document_signed`)."""
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.approve, actor)
    lifecycle.expect(dossier, expected_state)
    if dossier.decision == Decision.GRANT and fees.fee_owed_on_delivery(dossier):
        raise ValidationError(
            _("The fee is paid on delivery and is not paid yet: the specialist asks for it first."),
            code="unpaid",
        )
    personal = _leader_certificate(dossier, actor)
    lifecycle.take(dossier.approve, actor)
    dossier.save()
    lifecycle.record(
        dossier, actor=actor, action=EventAction.APPROVE, from_state=State.PENDING_APPROVAL
    )
    approvals = dossier.events.filter(action=EventAction.APPROVE).count()
    slips.issue(
        dossier, DocumentKind.RESULT, actor=actor, revision=approvals, personal_certificate=personal
    )
    return dossier


def _result_waiting_for_a_leader(dossier: Dossier) -> Document | None:
    """The dossier's newest result, when it waits for a leader's personal signature (or failed
    before the leader signed it)."""
    return (
        Document.objects.select_related("personal_certificate__user")
        .filter(
            owner_type=ContentType.objects.get_for_model(Dossier),
            owner_id=dossier.pk,
            kind=DocumentKind.RESULT,
            draft=False,
            personal_certificate__isnull=False,
            status__in=signing_services.HANDED_OVER,
        )
        .order_by("-revision")
        .first()
    )


def sign_in_place_refusal(dossier: Dossier, actor) -> Exception | None:
    """Why this officer may not sign the approved result in place of the leader who approved it
    (None: they may). The one rule for the service below and for offering the action."""
    if not (
        dossier.agency_id == getattr(actor, "agency_id", None)
        and actor.has_role(StaffRole.Role.LEADER)
    ):
        return PermissionDenied()
    document = _result_waiting_for_a_leader(dossier) if dossier.state == State.SIGNING else None
    if document is None:
        return ValidationError(
            _("No result of this dossier is waiting for another leader's signature."),
            code="stale",
        )
    if document.personal_certificate.user_id == actor.pk:
        return ValidationError(
            _("You approved this result: sign it yourself (or ask the administrator to retry it)."),
            code="own",
        )
    return None


@transaction.atomic
def dossier_sign_in_place(
    *, dossier: Dossier, actor, note: str, expected_state: str | None = None
) -> Dossier:
    """Another leader of the agency signs the approved result in place of the one who approved
    it and has not signed (gone, on leave, their certificate withdrawn): the result is prepared
    again with this leader as its signer (their personal certificate, or the agency's signature
    alone where it is not required), keeping its number; the approving leader can no longer
    sign it. The reason is recorded in the dossier's history."""
    dossier = lifecycle.lock(dossier)
    refusal = sign_in_place_refusal(dossier, actor)
    if isinstance(refusal, PermissionDenied):
        raise refusal
    note = _required(note, _("Say why you sign in place of the approving leader."), field="note")
    lifecycle.expect(dossier, expected_state)
    if refusal is not None:
        raise refusal
    personal = _leader_certificate(dossier, actor)
    document = _result_waiting_for_a_leader(dossier)
    before = document.personal_certificate.user
    title, _template, context, _paper = slips.build(dossier, DocumentKind.RESULT, actor=actor)
    signing_services.document_hand_over(
        document=document, personal_certificate=personal, title=title, context=context
    )
    lifecycle.record(
        dossier,
        actor=actor,
        action=EventAction.APPROVE,
        from_state=State.SIGNING,
        note=_("Signed in place of %(name)s: %(reason)s")
        % {"name": before.full_name, "reason": note},
    )
    return dossier


def _still_at_centre(dossier: Dossier) -> ValidationError | None:
    """The refusal of a step that is the resolving agency's while the centre that received the
    dossier has not handed it over (None: it has, or no centre received it)."""
    if dossier.at_resolving_agency:
        return None
    return ValidationError(
        _("The service centre has not handed this dossier to the agency yet."),
        code="not_transferred",
    )


def _require_result_at_front_desk(dossier: Dossier) -> None:
    if dossier.state == State.RESOLVED and not dossier.result_at_front_desk:
        raise ValidationError(
            _("The agency has not handed the result back to the centre yet."),
            code="not_transferred",
        )


@transaction.atomic
def dossier_hand_back(
    *, dossier: Dossier, actor, received_by: str, expected_state: str | None = None
) -> Dossier:
    """Trả kết quả at the desk: who collected the result is recorded."""
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.hand_back, actor)
    received_by = _required(received_by, _("Say who received the result."), field="received_by")
    lifecycle.expect(dossier, expected_state)
    _require_result_at_front_desk(dossier)
    lifecycle.take(dossier.hand_back, actor)
    dossier.returned_to = received_by[:150]
    dossier.save()
    lifecycle.record(
        dossier,
        actor=actor,
        action=EventAction.HAND_BACK,
        from_state=State.RESOLVED,
        note=received_by,
    )
    return dossier


@transaction.atomic
def dossier_receive_supplement(
    *, dossier: Dossier, actor, note: str, expected_state: str | None = None
) -> Dossier:
    """The desk records the supplement of a dossier taken in on paper (no account to answer
    online): brought in or posted, its components scanned; the dossier goes back where it was,
    as for the applicant's own resubmission."""
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.receive_supplement, actor)
    note = _required(note, _("Say what was received."), field="note")
    lifecycle.expect(dossier, expected_state)
    return filing.back_from_supplement(
        dossier, actor=actor, transition=dossier.receive_supplement, note=note
    )


@transaction.atomic
def dossier_send_by_post(
    *,
    dossier: Dossier,
    actor,
    post_service: str,
    post_tracking: str,
    expected_state: str | None = None,
) -> Dossier:
    """Trả kết quả qua bưu chính: the desk posts the result to the address the applicant gave;
    the postal service and its tracking number are recorded (the register shows them)."""
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.hand_back, actor)
    post_service = _required(post_service, _("Name the postal service."), field="post_service")
    post_tracking = _required(
        post_tracking, _("Give the postal tracking number."), field="post_tracking"
    )
    if dossier.result_delivery != ResultDelivery.POST or not dossier.delivery_address:
        raise ValidationError(
            {
                "post_tracking": [
                    _("The applicant did not ask for the result by post: return it as they chose.")
                ]
            }
        )
    lifecycle.expect(dossier, expected_state)
    _require_result_at_front_desk(dossier)
    lifecycle.take(dossier.hand_back, actor)
    dossier.post_service = post_service[:80]
    dossier.post_tracking = post_tracking[:40]
    dossier.post_sent_at = dossier.returned_at
    dossier.returned_to = f"{dossier.post_service} {dossier.post_tracking}"[:150]
    dossier.save()
    lifecycle.record(
        dossier,
        actor=actor,
        action=EventAction.HAND_BACK,
        from_state=State.RESOLVED,
        note=f"{dossier.post_service}: {dossier.post_tracking} → {dossier.delivery_address}",
    )
    return dossier


@transaction.atomic
def dossier_record_delivery(
    *, dossier: Dossier, actor, delivered_on, expected_state: str | None = None
) -> Dossier:
    """The postal service delivered the result: the day is recorded (once)."""
    dossier = lifecycle.lock(dossier)
    if not (
        selectors.is_desk_of(actor, dossier.front_agency_id)
        and dossier.post_sent_at is not None
        and dossier.post_delivered_at is None
    ):
        raise PermissionDenied
    lifecycle.expect(dossier, expected_state)
    if not timezone.localdate(dossier.post_sent_at) <= delivered_on <= timezone.localdate():
        raise ValidationError(
            {"delivered_on": [_("The delivery day is between the day it was sent and today.")]}
        )
    dossier.post_delivered_at = timezone.make_aware(dt.datetime.combine(delivered_on, dt.time(12)))
    dossier.save(update_fields=["post_delivered_at", "updated_at"])
    return dossier


@transaction.atomic
def dossier_stop(*, dossier: Dossier, actor, reason: str, expected_state: str | None = None):
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.stop, actor)
    reason = _required(reason, _("Give the reason for stopping."), field="reason")
    lifecycle.expect(dossier, expected_state)
    if still := _still_at_centre(dossier):
        raise still
    from_state = dossier.state
    lifecycle.take(dossier.stop, actor)
    dossier.save()
    lifecycle.record(
        dossier, actor=actor, action=EventAction.STOP, from_state=from_state, note=reason
    )
    # The applicant is told in writing, signed by the agency, why the handling stopped.
    slips.issue(dossier, DocumentKind.STOP_NOTICE, actor=actor, extra={"reason": reason})
    return dossier


# The apology letter (Mẫu 04) comes no later than the working day before the due date: Decree
# 61/2018/NĐ-CP Art. 19(1)(c) ("chậm nhất 01 ngày trước ngày hết hạn"), a rule Decree 118/2025
# keeps (article numbers not confirmed against the texts here: see the README).


def reschedule_refusal(dossier: Dossier, actor) -> Exception | None:
    """Why this officer may not give this dossier a new date now (None: they may). The one rule
    for the service below and for offering the action on the back-office page."""
    if not (
        dossier.agency_id == getattr(actor, "agency_id", None)
        and actor.has_role(StaffRole.Role.LEADER)
    ):
        return PermissionDenied()
    if dossier.state not in CLOCK_STATES or dossier.due_at is None:
        return ValidationError(
            _("Only a dossier being processed can get a new date."), code="stale"
        )
    if still := _still_at_centre(dossier):
        return still
    if dossier.rescheduled:
        return ValidationError(
            _("This dossier already had its apology letter: a new date is given only once."),
            code="once",
        )
    if timezone.now() >= dossier.due_at:
        return ValidationError(
            _("The due time has passed: the apology letter must be sent before it."),
            code="late",
        )
    # No later than the working day before the due date (DOMAIN.md §3.4; see the note above).
    calendar = WorkCalendar(dossier.agency)
    due_day = timezone.localdate(dossier.due_at)
    if timezone.localdate() > calendar.previous_working_day(due_day):
        return ValidationError(
            _(
                "The apology letter is sent no later than the working day before the due date "
                "(%(due)s): it is too late for a new date now."
            )
            % {"due": timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y")},
            code="late",
        )
    return None


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
    dossier = lifecycle.lock(dossier)
    refusal = reschedule_refusal(dossier, actor)
    if isinstance(refusal, PermissionDenied):
        raise refusal
    reason = _required(reason, _("Give the reason for the delay."), field="reason")
    lifecycle.expect(dossier, expected_state)
    if refusal is not None:
        raise refusal
    if new_due <= dossier.due_at:
        raise ValidationError(
            _("The new date must be after the current due time."), code="new_date"
        )
    dossier.original_due_at = dossier.due_at
    dossier.due_at = new_due
    dossier.rescheduled = True
    dossier.save()
    lifecycle.record(
        dossier,
        actor=actor,
        action=EventAction.RESCHEDULE,
        from_state=dossier.state,
        note=reason,
    )
    slips.issue(dossier, DocumentKind.APOLOGY, actor=actor, extra={"reason": reason})
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
    ct = ContentType.objects.get_for_model(Dossier)
    done = 0
    for dossier_id in Dossier.objects.filter(state=State.SIGNING).values_list("pk", flat=True):
        document = (
            Document.objects.filter(
                owner_type=ct,
                owner_id=dossier_id,
                kind=DocumentKind.RESULT,
                status=Document.Status.SIGNED,
            )
            .order_by("-revision")
            .first()
        )
        if document is not None:
            filing.dossier_resolve(dossier_id=dossier_id, document_id=document.pk)
            done += 1
    return done


@transaction.atomic
def dossier_request_payment(*, dossier: Dossier, actor, expected_state: str | None = None):
    """The fee is due on delivery (thu sau): the assigned specialist asks for it; the clock
    pauses until the gateway confirms the payment (`dossier_payment_received`)."""
    dossier = lifecycle.lock(dossier)
    lifecycle.require(dossier.request_payment, actor)
    lifecycle.expect(dossier, expected_state)
    if not fees.fee_owed_on_delivery(dossier):
        raise ValidationError(_("This procedure has no fee to pay on delivery."), code="no_fee")
    lifecycle.take(dossier.request_payment, actor)
    lifecycle.pause_clock(dossier)
    dossier.save()
    lifecycle.record(
        dossier, actor=actor, action=EventAction.REQUEST_PAYMENT, from_state=State.PROCESSING
    )
    return dossier


@transaction.atomic
def dossier_payment_received(*, dossier: Dossier, payment) -> Dossier:
    """The gateway confirmed the fee: processing resumes with the time that was left
    (office.receivers, on `payments.signals.payment_paid`). Idempotent."""
    dossier = lifecycle.lock(dossier)
    if dossier.state != State.AWAITING_PAYMENT:
        return dossier
    dossier.payment_received()
    lifecycle.resume_clock(dossier)
    dossier.save()
    lifecycle.record(
        dossier,
        actor=None,
        action=EventAction.PAYMENT_RECEIVED,
        from_state=State.AWAITING_PAYMENT,
        note=f"{payment.amount:,} VND ({payment.order_ref})".replace(",", "."),
    )
    return dossier


# --- liên thông: hand-offs between the receiving service centre and the resolving agency ---


def _handoff(dossier: Dossier, *, actor, action: str) -> None:
    """Record a hand-off (its time on the dossier, a row of the control sheet Mẫu 05)."""
    now = timezone.now()
    if action == EventAction.TRANSFER:
        dossier.transferred_at, to = now, dossier.agency
    else:
        dossier.result_transferred_at, to = now, dossier.receiving_agency
    dossier.save(update_fields=["transferred_at", "result_transferred_at", "updated_at"])
    lifecycle.record(dossier, actor=actor, action=action, from_state=dossier.state, note=to.name)


def transfer_refusal(dossier: Dossier, actor) -> Exception | None:
    """Why this officer may not hand the dossier to the resolving agency now (None: they may):
    the desk of the centre that received it, once, after accepting it."""
    if not (
        dossier.receiving_agency_id and selectors.is_desk_of(actor, dossier.receiving_agency_id)
    ):
        return PermissionDenied()
    if dossier.state != State.RECEIVED or dossier.transferred_at is not None:
        return ValidationError(
            _("Only an accepted dossier not yet handed over can be handed to the agency."),
            code="stale",
        )
    return None


def transfer_result_refusal(dossier: Dossier, actor) -> Exception | None:
    """Why this officer may not hand the result back to the centre now (None: they may): the
    resolving agency's desk or a leader, once the result is signed, when the applicant collects
    it from the centre (at its desk or by post; an online result needs no hand-off)."""
    if not (
        dossier.receiving_agency_id
        and selectors.is_officer(actor)
        and actor.agency_id == dossier.agency_id
        and actor.has_role(StaffRole.Role.DESK, StaffRole.Role.LEADER)
    ):
        return PermissionDenied()
    if (
        dossier.state != State.RESOLVED
        or dossier.result_transferred_at is not None
        or dossier.result_delivery == ResultDelivery.ONLINE
    ):
        return ValidationError(
            _("Only a signed result the centre returns, not yet handed back, can be sent there."),
            code="stale",
        )
    return None


def _take_handoff(dossier: Dossier, *, actor, expected_state, refusal_of, action) -> Dossier:
    """Lock, refuse (the role before the state the officer saw), record the hand-off."""
    dossier = lifecycle.lock(dossier)
    refusal = refusal_of(dossier, actor)
    if isinstance(refusal, PermissionDenied):
        raise refusal
    lifecycle.expect(dossier, expected_state)
    if refusal is not None:
        raise refusal
    _handoff(dossier, actor=actor, action=action)
    return dossier


@transaction.atomic
def dossier_transfer(*, dossier: Dossier, actor, expected_state: str | None = None) -> Dossier:
    """The receiving centre hands an accepted (paper) dossier to the resolving agency, whose
    queue it then joins; an online one goes at acceptance (dossier_accept)."""
    return _take_handoff(
        dossier,
        actor=actor,
        expected_state=expected_state,
        refusal_of=transfer_refusal,
        action=EventAction.TRANSFER,
    )


@transaction.atomic
def dossier_transfer_result(
    *, dossier: Dossier, actor, expected_state: str | None = None
) -> Dossier:
    """The resolving agency hands the signed result back to the centre, which returns it."""
    return _take_handoff(
        dossier,
        actor=actor,
        expected_state=expected_state,
        refusal_of=transfer_result_refusal,
        action=EventAction.TRANSFER_RESULT,
    )
