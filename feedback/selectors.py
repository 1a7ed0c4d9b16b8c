"""Reads of ratings and feedback, with their visibility rules in one place: an applicant sees
their own dossier's rating, a sender their own feedback (signed in, or by code and email or
phone), the public only published answers (masked), and an officer the feedback and ratings of
their own agency. Anything else is None (the views answer 404 for "missing" and "not yours").

`rating_counts` and `feedback_counts` are what the statistics count: plain dicts of ints."""

import datetime as dt
import hmac

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

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


def _counts(table: str, conditions: list[tuple[str, list]], columns: dict[str, tuple[str, list]]):
    """One row of counts in plain SQL: `columns` maps a name to a condition (with its
    parameters) counted as SUM(CASE WHEN … THEN 1 ELSE 0 END), `conditions` select the rows.
    The statistics pages read these on every view: the ORM's building of a dozen filtered
    aggregates cost more than the query itself."""
    select = ", ".join(
        f"COALESCE(SUM(CASE WHEN {sql} THEN 1 ELSE 0 END), 0)" for sql, _p in columns.values()
    )
    where = " AND ".join(sql for sql, _p in conditions) or "1 = 1"
    params = [p for _sql, ps in columns.values() for p in ps]
    params += [p for _sql, ps in conditions for p in ps]
    # As the ORM would pass them (SQLite keeps times as UTC text).
    params = [
        connection.ops.adapt_datetimefield_value(p) if isinstance(p, dt.datetime) else p
        for p in params
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM {table} WHERE {where}", params)  # noqa: S608
        row = cursor.fetchone()
    return {name: int(value or 0) for name, value in zip(columns, row, strict=True)}


def _in(column: str, values: list[int]) -> tuple[str, list]:
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def rating_counts(
    *,
    agency_ids: list[int] | None,
    start: dt.datetime,
    end: dt.datetime,
    procedure_id: int | None = None,
) -> dict:
    """Ratings given in [start, end) by level, and their total; `agency_ids` None: the whole
    portal. Hidden comments count: hiding hides the text, not the rating."""
    conditions = [("created_at >= %s", [start]), ("created_at < %s", [end])]
    if agency_ids is not None:
        conditions.append(_in("agency_id", agency_ids))
    if procedure_id is not None:
        conditions.append(("procedure_id = %s", [procedure_id]))
    columns = {"total": ("1 = 1", [])}
    columns.update({level: ("level = %s", [level]) for level in RatingLevel.values})
    return _counts(Rating._meta.db_table, conditions, columns)


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
    conditions = [("received_at >= %s", [start]), ("received_at < %s", [end])]
    if agency_ids is not None:
        conditions.append(_in("agency_id", agency_ids))
    answered, received = FeedbackState.ANSWERED.value, FeedbackState.RECEIVED.value
    late = ("state = %s AND timeliness = %s", [answered, Timeliness.LATE.value])
    open_overdue = ("state = %s AND due_at < %s", [received, now])
    unsatisfied = ("sender_satisfied = %s", [False])
    columns = {
        "total": ("1 = 1", []),
        "answered": ("state = %s", [answered]),
        "answered_on_time": (
            "state = %s AND timeliness IN (%s, %s)",
            [answered, Timeliness.EARLY.value, Timeliness.ON_TIME.value],
        ),
        "answered_late": late,
        "refused": ("state = %s", [FeedbackState.REFUSED.value]),
        "open_overdue": open_overdue,
        "unsatisfied": unsatisfied,
        "late_or_unsatisfied": (
            f"({late[0]}) OR ({open_overdue[0]}) OR ({unsatisfied[0]})",
            late[1] + open_overdue[1] + unsatisfied[1],
        ),
    }
    return _counts(Feedback._meta.db_table, conditions, columns)


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
