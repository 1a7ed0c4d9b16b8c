"""Use cases of ratings and feedback. Problems the user can fix raise `ValidationError` with the
message to show (keyed by field where there is one); acting on something one may not touch raises
`PermissionDenied` (the views answer 404, as for something missing)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from feedback import privacy
from feedback.models import (
    Feedback,
    FeedbackAbout,
    FeedbackSequence,
    FeedbackState,
    Rating,
    RatingChannel,
    RatingLevel,
)
from portal.models import Agency, StaffRole
from portal.sequences import next_daily_number
from portal.workdays import UNIT_WORKING_DAYS, WorkCalendar, classify
from procedures.models import Procedure
from submissions import uploads
from submissions.models import Dossier, State

# A dossier is rated once its handling is over for the applicant: the result returned, or the
# dossier refused or stopped by the agency (they experienced the service, and a refusal is where
# dissatisfaction is most often voiced). Not a dossier the applicant withdrew: they ended it.
RATEABLE_STATES = frozenset({State.RETURNED, State.REFUSED, State.STOPPED})
MAX_COMMENT = 1000

# --- ratings ------------------------------------------------------------------------------------


def _officer_of(user, agency_id: int | None, *roles: str) -> bool:
    """An active officer of that agency (holding one of `roles`, when given)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_officer
        and agency_id is not None
        and user.agency_id == agency_id
        and (not roles or user.has_role(*roles))
    )


def may_record_paper(user, dossier: Dossier) -> bool:
    """A desk officer of the resolving agency, or of the centre that received the dossier."""
    return _officer_of(user, dossier.agency_id, StaffRole.Role.DESK) or _officer_of(
        user, dossier.front_agency_id, StaffRole.Role.DESK
    )


def may_moderate(user, agency_id: int) -> bool:
    """A leader or an administrator of the agency: hides comments, publishes answers."""
    return _officer_of(user, agency_id, StaffRole.Role.LEADER, StaffRole.Role.AGENCY_ADMIN)


def is_rateable(dossier: Dossier) -> bool:
    return dossier.state in RATEABLE_STATES


def _clean_rating(dossier: Dossier, level: str, comment: str) -> str:
    problems = {}
    if level not in RatingLevel.values:
        problems["level"] = [_("Choose how satisfied you are.")]
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        problems["comment"] = [
            _("Keep the comment to %(limit)s characters (it has %(count)s).")
            % {"limit": MAX_COMMENT, "count": len(comment)}
        ]
    if problems:
        raise ValidationError(problems)
    if not is_rateable(dossier):
        raise ValidationError(
            _("This dossier can be rated once its result is returned, or once it is refused.")
            + " "
            + _("It is now: %(state)s.") % {"state": dossier.get_state_display()},
            code="not_editable",
        )
    if Rating.objects.filter(dossier=dossier).exists():
        raise ValidationError(_("This dossier has already been rated: a dossier is rated once."))
    return comment


def _create_rating(dossier: Dossier, **fields) -> Rating:
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal leaves the rest
            return Rating.objects.create(
                dossier=dossier,
                agency_id=dossier.agency_id,
                procedure_id=dossier.version.procedure_id,
                **fields,
            )
    except IntegrityError:  # two tabs at once: the other one's rating stands
        raise ValidationError(
            _("This dossier has already been rated: a dossier is rated once.")
        ) from None


def _lock(dossier: Dossier) -> Dossier:
    """The dossier's row locked until commit: two ratings of it queue here."""
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("version", "agency")
        .get(pk=dossier.pk)
    )


@transaction.atomic
def rating_give(*, dossier: Dossier, actor, level: str, comment: str = "") -> Rating:
    """The applicant rates the handling of their dossier, once, after it is over."""
    dossier = _lock(dossier)
    if actor is None or not actor.is_authenticated or dossier.applicant_id != actor.pk:
        raise PermissionDenied
    comment = _clean_rating(dossier, level, comment)
    return _create_rating(dossier, level=level, comment=comment, channel=RatingChannel.ONLINE)


@transaction.atomic
def rating_record_paper(*, dossier: Dossier, actor, level: str, comment: str = "") -> Rating:
    """The desk records the paper evaluation form the applicant filled in (Circular
    01/2018/TT-VPCP, Chương III: forms at the desk), once per dossier."""
    dossier = _lock(dossier)
    if not may_record_paper(actor, dossier):
        raise PermissionDenied
    comment = _clean_rating(dossier, level, comment)
    return _create_rating(
        dossier, level=level, comment=comment, channel=RatingChannel.DESK, recorded_by=actor
    )


@transaction.atomic
def rating_hide(*, rating: Rating, actor, reason: str) -> Rating:
    """A leader or administrator of the agency hides an abusive comment, with the reason. The
    rating itself still counts."""
    rating = Rating.objects.select_for_update().get(pk=rating.pk)
    if not may_moderate(actor, rating.agency_id):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the comment is hidden.")]})
    if rating.hidden_at is not None:
        raise ValidationError(_("This comment is already hidden."), code="not_editable")
    rating.hidden_at = timezone.now()
    rating.hidden_by = actor
    rating.hidden_reason = reason[:255]
    rating.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    return rating


# --- feedback -----------------------------------------------------------------------------------


def _next_code(agency: Agency, received_at) -> str:
    """`PAKN-{agency code}-{yymmdd}-{NNNN}`: the agency's daily sequence (portal.sequences)."""
    day = timezone.localdate(received_at)
    number = next_daily_number(FeedbackSequence, agency_id=agency.pk, day=day)
    return f"PAKN-{agency.code}-{day:%y%m%d}-{number:04d}"


def answer_due(agency: Agency, received_at):
    """FEEDBACK_ANSWER_DAYS working days after receipt, on the agency's calendar and with its
    way of counting (by default whole days: from the next working day to the close of office on
    the last, as a dossier's time limit)."""
    return WorkCalendar(agency).due_at(
        received_at, settings.FEEDBACK_ANSWER_DAYS, UNIT_WORKING_DAYS
    )


def _target(about, actor, agency, procedure, dossier) -> tuple[Agency, Procedure | None]:
    """The agency the feedback goes to (and its procedure), or the problems by field."""
    if about == FeedbackAbout.PROCEDURE:
        if procedure is None:
            raise ValidationError({"procedure": [_("Choose the procedure.")]})
        return procedure.agency, procedure
    if about == FeedbackAbout.AGENCY:
        if agency is None or not agency.is_active:
            raise ValidationError({"agency": [_("Choose the agency.")]})
        return agency, None
    if about == FeedbackAbout.DOSSIER:
        if dossier is None:
            raise ValidationError({"about": [_("Choose what the feedback is about.")]})
        if actor is None or not actor.is_authenticated or dossier.applicant_id != actor.pk:
            raise PermissionDenied
        return dossier.agency, dossier.version.procedure
    raise ValidationError({"about": [_("Choose what the feedback is about.")]})


@transaction.atomic
def feedback_send(
    *,
    about: str,
    actor=None,
    agency: Agency | None = None,
    procedure: Procedure | None = None,
    dossier: Dossier | None = None,
    sender_name: str = "",
    sender_email: str = "",
    sender_phone: str = "",
    title: str,
    body: str,
    attachment=None,
) -> Feedback:
    """Anyone sends feedback about a procedure or an agency; a signed-in applicant also about one
    of their dossiers. Someone not signed in gives a name and an email or a phone to be answered
    at. The attachment (PDF, JPEG, PNG) is checked by its content; nothing is stored when any
    of it is refused. Due FEEDBACK_ANSWER_DAYS working days after receipt."""
    signed_in = actor is not None and actor.is_authenticated
    target_agency, target_procedure = _target(about, actor, agency, procedure, dossier)
    if signed_in:
        sender_name = sender_name.strip() or actor.full_name
        sender_email = sender_email.strip() or actor.email
        sender_phone = sender_phone.strip() or actor.phone
    problems: dict[str, list[str]] = {}
    if not sender_name.strip():
        problems["sender_name"] = [_("Give your name.")]
    if not signed_in and not (sender_email.strip() or sender_phone.strip()):
        problems["sender_email"] = [_("Give an email address or a phone number to be answered at.")]
    if not title.strip():
        problems["title"] = [_("Give the feedback a title.")]
    if not body.strip():
        problems["body"] = [_("Write what the feedback is about.")]
    inspected = None
    if attachment is not None:
        try:
            inspected = uploads.inspect(attachment)
        except ValidationError as exc:
            problems["attachment"] = exc.messages
    if problems:
        raise ValidationError(problems)
    received_at = timezone.now()
    feedback = Feedback(
        code=_next_code(target_agency, received_at),
        about=about,
        agency=target_agency,
        procedure=target_procedure,
        dossier=dossier if about == FeedbackAbout.DOSSIER else None,
        sender=actor if signed_in else None,
        sender_name=sender_name.strip()[:150],
        sender_email=sender_email.strip().lower(),
        sender_phone=sender_phone.strip()[:16],
        title=title.strip()[:200],
        body=body.strip(),
        received_at=received_at,
        due_at=answer_due(target_agency, received_at),
    )
    if inspected is not None:
        feedback.attachment.save(inspected.name, attachment, save=False)
        feedback.attachment_name = inspected.name
        feedback.attachment_type = inspected.content_type
    try:
        feedback.save()
    except Exception:
        if feedback.attachment:  # the row was not stored: neither is its file
            feedback.attachment.delete(save=False)
        raise
    return feedback


def _lock_feedback(feedback: Feedback) -> Feedback:
    return (
        Feedback.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=feedback.pk)
    )


def _require_open(feedback: Feedback) -> None:
    if feedback.state != FeedbackState.RECEIVED:
        raise ValidationError(
            _("This feedback has already been handled (%(state)s): it cannot be answered again.")
            % {"state": feedback.get_state_display()},
            code="not_editable",
        )


def _email_sender(feedback: Feedback) -> None:
    """Tell the sender the agency replied, by email (on commit, through the notifications
    queue); a sender with a phone only reads the reply by tracking the code."""
    from portal.tasks import send_email_task

    to = feedback.sender_email or getattr(feedback.sender, "email", "")
    if not to:
        return
    language = getattr(feedback.sender, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "feedback": feedback,
            "track_url": settings.SITE_URL + reverse("feedback:track"),
        }
        subject = " ".join(render_to_string("feedback/email/answer_subject.txt", context).split())
        body = render_to_string("feedback/email/answer_body.txt", context)
    transaction.on_commit(lambda: send_email_task.delay(subject, body, None, [to]))


def _close(feedback: Feedback, *, actor, text: str, state: str, field: str) -> Feedback:
    if not _officer_of(actor, feedback.agency_id):
        raise PermissionDenied
    _require_open(feedback)
    text = (text or "").strip()
    if not text:
        raise ValidationError(
            {field: [_("Write the answer.") if field == "answer" else _("Give the reason.")]}
        )
    now = timezone.now()
    feedback.state = state
    feedback.answer = text
    feedback.answered_at = now
    feedback.answered_by = actor
    feedback.timeliness = classify(now, feedback.due_at)
    feedback.save(update_fields=["state", "answer", "answered_at", "answered_by", "timeliness"])
    _email_sender(feedback)
    return feedback


@transaction.atomic
def feedback_answer(*, feedback: Feedback, actor, answer: str) -> Feedback:
    """An officer of the agency answers, once; the sender is emailed. Its timeliness (early, on
    time, late against the due time) is fixed now."""
    feedback = _lock_feedback(feedback)
    return _close(feedback, actor=actor, text=answer, state=FeedbackState.ANSWERED, field="answer")


@transaction.atomic
def feedback_refuse(*, feedback: Feedback, actor, reason: str) -> Feedback:
    """Not taken up (not within the agency's remit, not feedback on an administrative rule),
    with the reason sent to the sender."""
    feedback = _lock_feedback(feedback)
    return _close(feedback, actor=actor, text=reason, state=FeedbackState.REFUSED, field="reason")


@transaction.atomic
def feedback_publish(*, feedback: Feedback, actor) -> Feedback:
    """A leader or administrator of the agency publishes the answer: the public page shows the
    title, content and answer with the sender's personal data masked (privacy.mask). Publishing
    again changes nothing."""
    feedback = _lock_feedback(feedback)
    if not may_moderate(actor, feedback.agency_id):
        raise PermissionDenied
    if feedback.state != FeedbackState.ANSWERED:
        raise ValidationError(_("Only an answered feedback is published."), code="not_editable")
    if feedback.published_at is not None:
        return feedback
    names = [feedback.sender_name]
    if feedback.sender_id:
        names.append(feedback.sender.full_name)
    if feedback.dossier_id:
        names += [feedback.dossier.applicant_name, feedback.dossier.subject_name]
    names = tuple(n for n in names if n)
    feedback.public_title = privacy.mask(feedback.title, names=names)[:200]
    feedback.public_body = privacy.mask(feedback.body, names=names)
    feedback.public_answer = privacy.mask(feedback.answer, names=names)
    feedback.published_at = timezone.now()
    feedback.published_by = actor
    feedback.save(
        update_fields=[
            "public_title", "public_body", "public_answer", "published_at", "published_by",
        ]
    )  # fmt: skip
    return feedback


@transaction.atomic
def feedback_rate_answer(
    *, feedback: Feedback, actor=None, satisfied: bool, tracked: bool = False
) -> Feedback:
    """The sender says whether the answer satisfied them, once. The sender is the account that
    sent it, or someone who just proved the code with its email or phone (`tracked`)."""
    feedback = _lock_feedback(feedback)
    is_sender = actor is not None and actor.is_authenticated and feedback.sender_id == actor.pk
    if not (is_sender or tracked):
        raise PermissionDenied
    if feedback.state != FeedbackState.ANSWERED:
        raise ValidationError(_("Only an answer can be rated."), code="not_editable")
    if feedback.sender_satisfied is not None:
        raise ValidationError(
            _("You have already rated this answer: it is rated once."), code="not_editable"
        )
    feedback.sender_satisfied = bool(satisfied)
    feedback.rated_at = timezone.now()
    feedback.save(update_fields=["sender_satisfied", "rated_at"])
    return feedback
