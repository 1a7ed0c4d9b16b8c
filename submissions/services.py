"""Use cases of a dossier. Each one locks the dossier's row, takes the FSM transition (which
checks the state and the actor's role), saves, appends a `DossierEvent` and enqueues work with
`transaction.on_commit`. Problems the user can fix raise `ValidationError` with messages to show;
acting on a dossier one may not touch raises `PermissionDenied`."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import registration
from portal.sequences import next_daily_number
from portal.workdays import classify
from procedures import fees, windows
from procedures.models import ProcedureVersion
from signing.models import Document
from submissions import lifecycle, uploads
from submissions.filers import FOR_WHOM_FIELDS
from submissions.forms import APPLICANT_FIELDS, AnswersForm
from submissions.models import (
    DailySequence,
    DocumentKind,
    Dossier,
    DossierFile,
    EventAction,
    ResultDelivery,
    State,
)

MAX_FILES_PER_DOSSIER = 100


def _require_editable(dossier: Dossier, actor) -> None:
    if dossier.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if not dossier.is_editable:
        raise ValidationError(
            _("This dossier can no longer be changed (it is now: %(state)s).")
            % {"state": dossier.get_state_display()},
            code="not_editable",
        )


@transaction.atomic
def dossier_start(*, version: ProcedureVersion, applicant) -> Dossier:
    """A new draft under the published version, prefilled from the applicant's profile."""
    if version.status != ProcedureVersion.Status.PUBLISHED or not version.offers_online_filing:
        raise ValidationError(_("This procedure cannot be filed online."), code="not_online")
    refusal = windows.window_refusal(version.procedure)
    if refusal is not None:  # outside the procedure's filing windows
        raise refusal
    drafts = Dossier.objects.filter(
        applicant=applicant, state=State.DRAFT, submitted_at__isnull=True
    ).count()
    if drafts >= settings.DOSSIER_MAX_OPEN_DRAFTS:
        raise ValidationError(
            ngettext(
                "You have %(count)s unfinished draft: submit or delete it (My dossiers) before "
                "starting another.",
                "You have %(count)s unfinished drafts: submit or delete one of them (My "
                "dossiers) before starting another.",
                drafts,
            )
            % {"count": drafts},
            code="too_many_drafts",
        )
    return Dossier.objects.create(
        applicant=applicant,
        version=version,
        agency=version.procedure.agency,
        # Filed online for an agency a service centre receives for, the centre accepts it.
        receiving_agency_id=version.procedure.agency.service_centre_id,
        applicant_name=applicant.full_name,
        applicant_citizen_id=applicant.citizen_id or "",
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        applicant_address=applicant.address,
        # A fully online service returns its result online; the others at the desk, unless
        # the applicant chooses the post (dossier_set_delivery).
        result_delivery=(
            ResultDelivery.ONLINE if version.service_level >= 4 else ResultDelivery.DESK
        ),
        delivery_address=applicant.address,
    )


# Until the result is being signed, the applicant may change how they receive it.
DELIVERY_CHANGEABLE = (
    State.DRAFT, State.SUBMITTED, State.SUPPLEMENT_REQUIRED, State.RECEIVED, State.PROCESSING,
    State.PENDING_APPROVAL, State.AWAITING_PAYMENT,
)  # fmt: skip


def delivery_problems(*, version: ProcedureVersion, delivery: str, address: str) -> dict:
    """What is wrong with a choice of delivery, by field (empty: nothing)."""
    if delivery not in ResultDelivery.values:
        return {"result_delivery": [_("Choose how the result is returned.")]}
    if delivery == ResultDelivery.ONLINE and version.service_level < 4:
        return {
            "result_delivery": [
                _("This procedure does not return its result online: choose the desk or the post.")
            ]
        }
    if delivery == ResultDelivery.POST and not address.strip():
        return {"delivery_address": [_("Give the address the result is posted to.")]}
    return {}


@transaction.atomic
def dossier_set_delivery(*, dossier: Dossier, actor, delivery: str, address: str = "") -> Dossier:
    """The applicant chooses how the result comes back (online, at the desk, by post)."""
    dossier = lifecycle.lock(dossier)
    if dossier.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if dossier.state not in DELIVERY_CHANGEABLE:
        raise ValidationError(
            _("The result is already being signed or returned: its delivery can no longer change."),
            code="not_editable",
        )
    problems = delivery_problems(version=dossier.version, delivery=delivery, address=address)
    if problems:
        raise ValidationError(problems)
    dossier.result_delivery = delivery
    if delivery == ResultDelivery.POST:
        dossier.delivery_address = address.strip()[:255]
    dossier.save(update_fields=["result_delivery", "delivery_address", "updated_at"])
    return dossier


@transaction.atomic
def dossier_update(
    *, dossier: Dossier, actor, applicant: dict, answers: dict, locked: bool = False
) -> Dossier:
    """Store answers already checked by `AnswersForm` (the views and the API both use it).
    `locked`: the caller already holds the row (a dossier made in this transaction)."""
    if not locked:
        dossier = lifecycle.lock(dossier)
    _require_editable(dossier, actor)
    for name in APPLICANT_FIELDS:
        if name in applicant:
            setattr(dossier, name, applicant[name] or "")
    for name in FOR_WHOM_FIELDS:  # as checked together (submissions.filers)
        if name in applicant:
            setattr(dossier, name, applicant[name])
    dossier.answers = answers
    dossier.save()
    return dossier


def dossier_missing(dossier: Dossier, *, answers_checked: bool = False) -> list[str]:
    """Everything that stops the dossier from being submitted, one message each.
    `answers_checked`: the answers were just validated as final (the one-call filing)."""
    missing = []
    if not answers_checked:
        missing += _answer_problems(dossier)
    attached = set(
        dossier.files.filter(removed_at__isnull=True).values_list("requirement_id", flat=True)
    )
    exempt = fees.exempt(dossier.version, dossier.answers or {})
    for document in dossier.version.documents.all():
        if not document.applies_to(dossier.channel):
            continue  # asked on another channel (shown at the desk, sent by post)
        # The evidence of a fee exemption: required of those who claim it, asked of no one else.
        required = exempt if document.exemption_evidence else document.required
        if required and document.pk not in attached:
            missing.append(_("Attach: %(document)s") % {"document": document.name})
    return missing


def _answer_problems(dossier: Dossier) -> list[str]:
    form = AnswersForm.from_json(
        schema=dossier.version.form_schema,
        applicant={name: getattr(dossier, name) for name in APPLICANT_FIELDS + FOR_WHOM_FIELDS},
        answers=dossier.answers,
        final=True,
        applicant_type=dossier.version.applicant_type,
    )
    problems = []
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else name
            problems.append(f"{label}: {' '.join(str(e) for e in errors)}")
    return problems


def _next_code(dossier: Dossier) -> str:
    """`{receiving unit's code}-{yymmdd}-{NNNN}` (the service centre's, if one receives the
    dossier): the unit's daily sequence (portal.sequences)."""
    day = timezone.localdate(dossier.submitted_at)
    number = next_daily_number(DailySequence, agency_id=dossier.front_agency_id, day=day)
    return f"{dossier.front_agency.code}-{day:%y%m%d}-{number:04d}"


@transaction.atomic
def dossier_submit(
    *, dossier: Dossier, actor, locked: bool = False, answers_checked: bool = False
) -> Dossier:
    """Submit a complete draft; it gets its code. Submitting again (a double click, a resent
    form, a second tab) returns the dossier as the first submission left it."""
    if not locked:
        dossier = lifecycle.lock(dossier)
    if dossier.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if dossier.state != State.DRAFT and dossier.code:
        return dossier
    blocker = registration.filing_blocker(actor)
    if blocker is not None:  # an email address or phone not yet confirmed (issue 18)
        raise ValidationError(blocker, code="unconfirmed")
    problems = dossier_missing(dossier, answers_checked=answers_checked)
    if dossier.version.status != ProcedureVersion.Status.PUBLISHED:
        problems.insert(
            0,
            _(
                "The procedure has changed since this draft was started: start a new dossier "
                "for the current version."
            ),
        )
    if problems:
        raise ValidationError(problems, code="incomplete")
    refusal = windows.window_refusal(dossier.version.procedure)
    if refusal is not None:  # a draft kept past its window's close
        raise refusal
    lifecycle.take(dossier.submit, actor)
    dossier.code = _next_code(dossier)
    dossier.save()
    lifecycle.record(dossier, actor=actor, action=EventAction.SUBMIT, from_state=State.DRAFT)
    return dossier


@transaction.atomic
def dossier_add_files(
    *, dossier: Dossier, actor, requirement_id, files: list, locked: bool = False
) -> list[DossierFile]:
    """Check every file first; store them all, or none (with every problem named, under
    `document` or `files`)."""
    if not locked:
        dossier = lifecycle.lock(dossier)
    _require_editable(dossier, actor)
    return store_files(dossier=dossier, actor=actor, requirement_id=requirement_id, files=files)


def store_files(*, dossier: Dossier, actor, requirement_id, files: list) -> list[DossierFile]:
    """Check and store files for one of the dossier's documents, all or none (the caller holds
    the dossier's lock and has checked the actor may add them: the applicant to their draft,
    the desk at intake)."""
    requirement = dossier.version.documents.filter(pk=requirement_id).first()
    if requirement is None or not requirement.applies_to(dossier.channel):
        raise ValidationError(
            {"document": ValidationError(_("Choose which document these files are for."), "slot")}
        )
    if not files:
        message = _("Choose at least one file.")
        raise ValidationError({"files": ValidationError(message, code="no_files")})
    errors, checked = [], []
    for upload in files:
        try:
            checked.append((upload, uploads.inspect(upload)))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"files": ValidationError(errors, code="bad_file")})
    # One query for both limits (the dossier's row is locked: they cannot change meanwhile).
    active = dossier.files.filter(removed_at__isnull=True).aggregate(
        count=Count("pk"), total=Sum("size")
    )
    if active["count"] + len(checked) > MAX_FILES_PER_DOSSIER:
        message = _("A dossier may hold at most %(count)s files.") % {
            "count": MAX_FILES_PER_DOSSIER
        }
        raise ValidationError({"files": ValidationError(message, code="too_many")})
    used = active["total"] or 0
    adding = sum(info.size for _upload, info in checked)
    if used + adding > settings.UPLOAD_MAX_DOSSIER_MB * uploads.MB:
        message = _(
            "These files would bring the dossier to %(size).1f MB; a dossier may hold at "
            "most %(limit)s MB. Remove a file or send smaller scans."
        ) % {"size": (used + adding) / uploads.MB, "limit": settings.UPLOAD_MAX_DOSSIER_MB}
        raise ValidationError({"files": ValidationError(message, code="dossier_too_large")})
    round_ = dossier.supplements.count() if dossier.state == State.SUPPLEMENT_REQUIRED else 0
    stored: list[DossierFile] = []
    try:
        for upload, info in checked:
            record = DossierFile(
                dossier=dossier,
                requirement=requirement,
                name=info.name,
                content_type=info.content_type,
                size=info.size,
                sha256=info.sha256,
                uploaded_by=actor,
                round=round_,
            )
            record.file.save(f"f.{uploads.EXTENSIONS[info.content_type]}", upload, save=False)
            stored.append(record)
            record.save()
        dossier.save(update_fields=["updated_at"])
    except BaseException:
        # Written files whose rows will not exist: take them away again.
        for record in stored:
            record.file.storage.delete(record.file.name)
        raise
    return stored


@transaction.atomic
def dossier_remove_file(*, dossier: Dossier, actor, file_id: int) -> None:
    """A draft's file is deleted; once the dossier has been submitted, the file is only marked
    removed, so that the history keeps what was replaced."""
    dossier = lifecycle.lock(dossier)
    _require_editable(dossier, actor)
    record = dossier.files.filter(pk=file_id, removed_at__isnull=True).first()
    if record is None:
        raise ValidationError(_("This file is no longer in the dossier."), code="gone")
    if dossier.submitted_at is None:
        name, storage = record.file.name, record.file.storage
        record.delete()
        transaction.on_commit(lambda: storage.delete(name))
    else:
        record.removed_at = timezone.now()
        record.save(update_fields=["removed_at"])
    dossier.save(update_fields=["updated_at"])


@transaction.atomic
def dossier_delete_draft(*, dossier: Dossier, actor) -> None:
    dossier = lifecycle.lock(dossier)
    if dossier.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if dossier.state != State.DRAFT or dossier.submitted_at is not None:
        raise ValidationError(
            _("Only a draft that was never submitted can be deleted."), code="not_editable"
        )
    names = [(f.file.storage, f.file.name) for f in dossier.files.all()]
    dossier.files.all().delete()
    dossier.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])


@transaction.atomic
def dossier_resubmit(*, dossier: Dossier, actor, note: str = "") -> Dossier:
    """The applicant answers a supplement request; the dossier goes back where it was."""
    dossier = lifecycle.lock(dossier)
    if dossier.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if dossier.state != State.SUPPLEMENT_REQUIRED:
        raise ValidationError(
            _("This dossier is not waiting for a supplement (it is now: %(state)s).")
            % {"state": dossier.get_state_display()},
            code="stale",
        )
    problems = dossier_missing(dossier)
    if problems:
        raise ValidationError(problems, code="incomplete")
    return back_from_supplement(dossier, actor=actor, transition=dossier.resubmit, note=note)


def back_from_supplement(dossier: Dossier, *, actor, transition, note: str) -> Dossier:
    """The supplement is in (sent by the applicant, or received at the desk for a paper
    dossier): the dossier goes back where the request was made, its clock running again if it
    was being processed, the request answered. The caller holds the lock."""
    lifecycle.take(transition, actor)
    if dossier.state == State.PROCESSING:
        lifecycle.resume_clock(dossier)
    dossier.save()
    dossier.supplements.filter(answered_at__isnull=True).update(answered_at=timezone.now())
    lifecycle.record(
        dossier,
        actor=actor,
        action=EventAction.RESUBMIT,
        from_state=State.SUPPLEMENT_REQUIRED,
        note=note.strip()[:2000],
    )
    return dossier


@transaction.atomic
def dossier_withdraw(*, dossier: Dossier, actor, reason: str) -> Dossier:
    dossier = lifecycle.lock(dossier)
    reason = reason.strip()
    if dossier.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if not reason:
        raise ValidationError(_("Give a reason for withdrawing."), code="reason")
    if not dossier.can_withdraw:
        raise ValidationError(
            _("This dossier can no longer be withdrawn (it is now: %(state)s).")
            % {"state": dossier.get_state_display()},
            code="stale",
        )
    from_state = dossier.state
    lifecycle.take(dossier.withdraw, actor)
    dossier.save()
    lifecycle.record(
        dossier, actor=actor, action=EventAction.WITHDRAW, from_state=from_state, note=reason[:1000]
    )
    return dossier


@transaction.atomic
def dossier_resolve(*, dossier_id: int, document_id: int) -> Dossier | None:
    """The signed result exists: signing → resolved, a transition the system takes (on
    `document_signed`, through office.receivers; or at the applicant's download, if that comes
    first). Idempotent (a second call, or one for an older result, does nothing)."""
    dossier = Dossier.objects.select_for_update().filter(pk=dossier_id).first()
    if dossier is None or dossier.state != State.SIGNING:
        return dossier
    document = Document.objects.filter(pk=document_id, status=Document.Status.SIGNED).first()
    if document is None or document.kind != DocumentKind.RESULT:
        return dossier
    dossier.resolve()
    # A dossier given a new date by the apology letter (Mẫu 04) is classed against its first
    # due time: the new date excuses nothing (issue 15; Decision 766/QĐ-TTg counts it late).
    deadline = dossier.original_due_at or dossier.due_at
    if deadline is not None:
        dossier.timeliness = classify(dossier.resolved_at, deadline)
    dossier.save()
    lifecycle.record(dossier, actor=None, action=EventAction.RESOLVE, from_state=State.SIGNING)
    return dossier


@transaction.atomic
def dossier_collect_online(*, dossier: Dossier, actor) -> Dossier:
    """Level 4: the applicant downloads the signed result, which hands it back. Later
    downloads change nothing."""
    dossier = lifecycle.lock(dossier)
    if dossier.state != State.RESOLVED or dossier.version.service_level < 4:
        return dossier
    lifecycle.take(dossier.collect_online, actor)
    dossier.returned_to = dossier.applicant_name
    dossier.save()
    lifecycle.record(
        dossier, actor=actor, action=EventAction.COLLECT_ONLINE, from_state=State.RESOLVED
    )
    return dossier


def dossier_file_at_once(
    *,
    version: ProcedureVersion,
    applicant,
    details: dict,
    answers: dict,
    files: dict[int, list],
    client_ref: str = "",
) -> tuple[Dossier, bool]:
    """File a complete dossier in one call (for systems that file on their users' behalf):
    answers, files and submission together, all or nothing. With `client_ref` a retry returns
    the dossier the first call filed. Returns (dossier, created)."""
    if client_ref:
        existing = Dossier.objects.filter(applicant=applicant, client_ref=client_ref).first()
        if existing is not None:
            return existing, False
    stored: list[DossierFile] = []
    try:
        with transaction.atomic():
            dossier = dossier_start(version=version, applicant=applicant)
            form = AnswersForm.from_json(
                schema=version.form_schema,
                applicant={
                    **{name: getattr(dossier, name) for name in APPLICANT_FIELDS},
                    **details,
                },
                answers=answers,
                final=True,
            )
            if not form.is_valid():
                raise ValidationError(
                    {name: errors for name, errors in form.errors_by_name().items()},
                    code="answers",
                )
            values, cleaned = form.values()
            # The dossier was made in this transaction: no one else can see it, so the steps
            # below need not lock and fetch it again.
            if client_ref:
                dossier.client_ref = client_ref[:64]
            dossier = dossier_update(
                dossier=dossier, actor=applicant, applicant=values, answers=cleaned, locked=True
            )
            for requirement_id, uploads_ in files.items():
                try:
                    stored += dossier_add_files(
                        dossier=dossier,
                        actor=applicant,
                        requirement_id=requirement_id,
                        files=uploads_,
                        locked=True,
                    )
                except ValidationError as exc:  # named as the request named the part
                    raise ValidationError({f"document_{requirement_id}": exc.messages}) from exc
            dossier = dossier_submit(
                dossier=dossier, actor=applicant, locked=True, answers_checked=True
            )
    except BaseException:
        for record in stored:  # the rows rolled back: the files go too
            record.file.storage.delete(record.file.name)
        raise
    return dossier, True
