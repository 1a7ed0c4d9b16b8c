"""What every change of a dossier's state is made of, for the citizen's services (here) and the
back-office's (office.services) alike: lock the row, check the state the user saw, take one FSM
transition (which checks the state and the actor's role), and append the event.

A service calls them in this order inside one `transaction.atomic`:

    dossier = lifecycle.lock(dossier)
    lifecycle.expect(dossier, expected_state)
    lifecycle.take(dossier.accept, actor)
    dossier.save()
    lifecycle.record(dossier, actor=actor, action=EventAction.ACCEPT, from_state=State.SUBMITTED)

`require(transition, actor)` comes first where the input is checked before the change, so that
someone without the role learns nothing from the messages.

Refusals are raised as the services' errors (portal.errors maps them to responses):
`PermissionDenied` for an actor who may never take the transition, a `ValidationError` with
code "stale" for one who may, but not from the state the dossier is in now.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from portal.workdays import COUNT_WHOLE_DAYS, WorkCalendar, classify
from submissions.models import CLOCK_STATES, Dossier, DossierEvent
from submissions.tasks import notify_event_task

__all__ = [
    "CLOCK_STATES",
    "expect",
    "lock",
    "may_take",
    "pause_clock",
    "record",
    "require",
    "resume_clock",
    "stale",
    "take",
]


def lock(dossier: Dossier) -> Dossier:
    """The dossier read again with its row locked until the transaction ends (call inside
    `transaction.atomic`)."""
    # OF self: the dossier's row only. A plain FOR UPDATE would also lock the joined version and
    # agency rows, serialising every change to the agency's dossiers, and deadlock with a new
    # draft's commit, whose deferred foreign-key checks lock agency then version (share).
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("version", "agency")
        .get(pk=dossier.pk)
    )


def stale(dossier: Dossier) -> ValidationError:
    """The error for a form sent from a page that showed another state: someone acted
    meanwhile."""
    return ValidationError(
        _("This dossier has changed meanwhile (it is now: %(state)s). Reload the page.")
        % {"state": dossier.get_state_display()},
        code="stale",
    )


def expect(dossier: Dossier, expected_state: str | None) -> None:
    """Refuse with "stale" when the caller saw the dossier in another state."""
    if expected_state and expected_state != dossier.state:
        raise stale(dossier)


def may_take(transition, actor) -> bool:
    """Whether `actor` holds the role for this transition from some state (whatever the
    dossier's state is now)."""
    options = transition._django_fsm.transitions.values()
    return any(option.has_perm(transition.__self__, actor) for option in options)


def require(transition, actor) -> None:
    """PermissionDenied unless `actor` may take this transition from some state: checked before
    the input, so that someone without the role learns nothing from the messages."""
    if not may_take(transition, actor):
        raise PermissionDenied


def take(transition, actor) -> None:
    """Take an FSM transition for `actor`, or say clearly why not: PermissionDenied for an actor
    who may never take it, a "stale" ValidationError for one who may but not from the dossier's
    state now (`has_transition_perm` alone is False in both cases)."""
    require(transition, actor)
    if not can_proceed(transition):
        raise stale(transition.__self__)
    if not has_transition_perm(transition, actor):
        raise PermissionDenied
    transition()


def record(
    dossier: Dossier, *, actor, action: str, from_state: str, note: str = ""
) -> DossierEvent:
    """Append the event of a change just saved, with the working time the step took and how it
    ended against the due time while the clock ran; the applicant is told on commit."""
    now = timezone.now()
    working_time, timeliness = None, ""
    if from_state in CLOCK_STATES:
        previous = (
            dossier.events.order_by("-created_at", "-pk").values("created_at", "due_at").first()
        )
        if previous is not None:
            working_time = WorkCalendar(dossier.agency).working_time_between(
                previous["created_at"], now
            )
        # Against the due time in force when the step started (the previous event's), not one
        # this very step may have moved (the apology letter's new date).
        due = (previous or {}).get("due_at") or dossier.due_at
        if due is not None:
            timeliness = classify(now, due)
    event = DossierEvent.objects.create(
        dossier=dossier,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=dossier.state,
        note=note,
        created_at=now,
        working_time=working_time,
        timeliness=timeliness,
        due_at=dossier.due_at,
    )
    transaction.on_commit(lambda: notify_event_task.delay(event.pk))
    return event


def pause_clock(dossier: Dossier) -> None:
    """The applicant owes something (a supplement, a fee): the statutory clock stops, keeping
    the working time that was left. Called with the row locked."""
    now = timezone.now()
    dossier.paused_at = now
    if dossier.due_at is not None:
        dossier.time_left = WorkCalendar(dossier.agency).working_time_between(now, dossier.due_at)


def resume_clock(dossier: Dossier) -> None:
    """After a pause: the due time is now + the working time that was left (DOMAIN.md §5: it
    resumes, it does not restart). Called with the row locked."""
    if dossier.paused_at is None:
        return
    calendar, now = WorkCalendar(dossier.agency), timezone.now()

    def resumed(left):
        due = calendar.add_working_time(now, left)
        if calendar.counting == COUNT_WHOLE_DAYS:  # a period of whole days ends at the close
            due = calendar.close_of(due.astimezone(calendar.tz).date())
        return due

    if dossier.time_left is not None:
        dossier.due_at = resumed(dossier.time_left)
        dossier.overdue = dossier.due_at <= now
    if dossier.original_due_at is not None and dossier.original_due_at > dossier.paused_at:
        # The first due time of a rescheduled dossier (what it is classed against) moves by the
        # same pause.
        left = calendar.working_time_between(dossier.paused_at, dossier.original_due_at)
        dossier.original_due_at = resumed(left)
    dossier.paused_at = None
    dossier.time_left = None
