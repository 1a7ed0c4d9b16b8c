"""Reads of ratings and feedback, with their visibility rules in one place: an applicant sees
their own dossier's rating, a sender their own feedback (signed in, or by code and email or
phone), the public only published answers (masked), and an officer the feedback and ratings of
their own agency. Anything else is None (the views answer 404 for "missing" and "not yours").

`rating_counts` and `feedback_counts` are what the statistics count: plain dicts of ints."""

import datetime as dt
import hmac

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from feedback.models import Feedback, FeedbackState, Rating, RatingLevel
from portal.models import StaffRole
from submissions.models import Dossier, Timeliness

# --- ratings ------------------------------------------------------------------------------------


def rating_for_dossier(*, dossier: Dossier) -> Rating | None:
    return Rating.objects.filter(dossier=dossier).first()


def _is_officer(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_officer)


def may_see_ratings(user) -> bool:
    """The agency's leaders and administrators read its ratings and hide comments."""
    return _is_officer(user) and user.has_role(StaffRole.Role.LEADER, StaffRole.Role.AGENCY_ADMIN)


def office_rating_list_for(
    *,
    user,
    level: str = "",
    procedure_id: int | None = None,
    with_comment: bool = False,
    hidden: bool = False,
) -> QuerySet[Rating]:
    """The ratings of the officer's own agency, newest first (none for anyone else)."""
    if not may_see_ratings(user):
        return Rating.objects.none()
    ratings = Rating.objects.filter(agency_id=user.agency_id).select_related(
        "dossier", "procedure", "recorded_by", "hidden_by"
    )
    if level:
        ratings = ratings.filter(level=level)
    if procedure_id:
        ratings = ratings.filter(procedure_id=procedure_id)
    if with_comment:
        ratings = ratings.exclude(comment="")
    if hidden:
        ratings = ratings.filter(hidden_at__isnull=False)
    return ratings.order_by("-created_at", "-pk")


def office_rating_get_for(*, user, rating_id: int) -> Rating | None:
    return office_rating_list_for(user=user).filter(pk=rating_id).first()


# --- feedback -----------------------------------------------------------------------------------


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def _phone_digits(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return "0" + digits[2:] if digits.startswith("84") and len(digits) >= 11 else digits


def feedback_track(*, code: str, secret: str) -> Feedback | None:
    """The feedback whose code and sender's email or phone both match; a wrong pair and an
    unknown code look the same."""
    feedback = (
        Feedback.objects.filter(code=code.strip().upper())
        .select_related("agency", "procedure", "dossier")
        .first()
    )
    if feedback is None:
        return None
    secret = secret.strip()
    by_email = _same(secret.lower(), feedback.sender_email.lower())
    by_phone = _same(_phone_digits(secret), _phone_digits(feedback.sender_phone))
    return feedback if by_email or by_phone else None


def feedback_list_for_sender(*, user) -> QuerySet[Feedback]:
    if not user.is_authenticated:
        return Feedback.objects.none()
    return (
        Feedback.objects.filter(sender=user)
        .select_related("agency", "procedure")
        .order_by("-received_at", "-pk")
    )


def feedback_get_for_sender(*, user, code: str) -> Feedback | None:
    return feedback_list_for_sender(user=user).filter(code=code).first()


def feedback_public_list(*, query: str = "") -> QuerySet[Feedback]:
    """Published answers, newest first; the search reads only the published (masked) text."""
    feedback = Feedback.objects.filter(published_at__isnull=False).select_related("agency")
    for word in query.split()[:8]:
        feedback = feedback.filter(
            Q(public_title__icontains=word)
            | Q(public_body__icontains=word)
            | Q(public_answer__icontains=word)
            | Q(code__iexact=word)
        )
    return feedback.order_by("-published_at", "-pk")


def feedback_public_get(*, code: str) -> Feedback | None:
    return (
        Feedback.objects.filter(published_at__isnull=False, code=code)
        .select_related("agency", "procedure")
        .first()
    )


OFFICE_FEEDBACK_STATES = ("open", "answered", "refused", "all")


def office_feedback_list_for(*, user, state: str = "open", query: str = "") -> QuerySet[Feedback]:
    """The feedback of the officer's own agency: open ones first, the most overdue first, then
    the handled ones, the latest first."""
    if not _is_officer(user):
        return Feedback.objects.none()
    feedback = Feedback.objects.filter(agency_id=user.agency_id).select_related("procedure")
    if state == "open":
        feedback = feedback.filter(state=FeedbackState.RECEIVED)
    elif state in (FeedbackState.ANSWERED, FeedbackState.REFUSED):
        feedback = feedback.filter(state=state)
    query = query.strip()
    if query:
        feedback = feedback.filter(
            Q(code__iexact=query) | Q(title__icontains=query) | Q(sender_name__icontains=query)
        )
    return feedback.annotate(
        open_first=Case(
            When(state=FeedbackState.RECEIVED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("open_first", "due_at", "-answered_at", "-pk")


def office_feedback_get_for(*, user, code: str) -> Feedback | None:
    if not _is_officer(user):
        return None
    return (
        Feedback.objects.filter(agency_id=user.agency_id, code=code)
        .select_related("agency", "procedure", "dossier", "sender", "answered_by")
        .first()
    )


# --- counts for the statistics ------------------------------------------------------------------


def rating_counts(
    *,
    agency_ids: list[int] | None,
    start: dt.datetime,
    end: dt.datetime,
    procedure_id: int | None = None,
) -> dict:
    """Ratings given in [start, end) by level, and their total; `agency_ids` None: the whole
    portal. Hidden comments count: hiding hides the text, not the rating."""
    ratings = Rating.objects.filter(created_at__gte=start, created_at__lt=end)
    if agency_ids is not None:
        ratings = ratings.filter(agency_id__in=agency_ids)
    if procedure_id is not None:
        ratings = ratings.filter(procedure_id=procedure_id)
    counts = ratings.aggregate(
        total=Count("pk"),
        **{level: Count("pk", filter=Q(level=level)) for level in RatingLevel.values},
    )
    return {key: int(value or 0) for key, value in counts.items()}


def feedback_counts(
    *,
    agency_ids: list[int] | None,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> dict:
    """Over the feedback received in [start, end) (`agency_ids` None: the whole portal):
    `total`; `answered`, of which `answered_on_time` (early or on time) and `answered_late`;
    `refused` (not the agency's to handle);
    `open_overdue` (not handled, due before `now`); `unsatisfied` (the sender disliked the
    answer); `late_or_unsatisfied` (answered late, open past due, or disliked: each once)."""
    feedback = Feedback.objects.filter(received_at__gte=start, received_at__lt=end)
    if agency_ids is not None:
        feedback = feedback.filter(agency_id__in=agency_ids)
    answered = Q(state=FeedbackState.ANSWERED)
    late = answered & Q(timeliness=Timeliness.LATE)
    open_overdue = Q(state=FeedbackState.RECEIVED, due_at__lt=now)
    unsatisfied = Q(sender_satisfied=False)
    counts = feedback.aggregate(
        total=Count("pk"),
        answered=Count("pk", filter=answered),
        answered_on_time=Count(
            "pk", filter=answered & Q(timeliness__in=[Timeliness.EARLY, Timeliness.ON_TIME])
        ),
        answered_late=Count("pk", filter=late),
        refused=Count("pk", filter=Q(state=FeedbackState.REFUSED)),
        open_overdue=Count("pk", filter=open_overdue),
        unsatisfied=Count("pk", filter=unsatisfied),
        late_or_unsatisfied=Count("pk", filter=late | open_overdue | unsatisfied),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def unsatisfied_ratings() -> QuerySet[Rating]:
    """Ratings of the lowest level (the statistics join them to the dossiers they count)."""
    return Rating.objects.filter(level=RatingLevel.UNSATISFIED)


def dossiers_rated_since(since: dt.datetime) -> QuerySet[Dossier]:
    """The dossiers rated at or after `since` (their counts may have changed)."""
    return Dossier.objects.filter(ratings__created_at__gte=since)


def feedback_overdue(*, agency_ids: list[int], now: dt.datetime) -> QuerySet[Feedback]:
    """The agencies' feedback not handled yet and past its due time, the oldest due first."""
    return Feedback.objects.filter(
        agency_id__in=agency_ids, state=FeedbackState.RECEIVED, due_at__lt=now
    ).order_by("due_at")
