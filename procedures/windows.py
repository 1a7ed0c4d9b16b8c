"""Filing windows (issue 15, item 5): a procedure that runs in fixed periods takes dossiers only
while one of its windows is open; outside, the procedure page and every way of filing (online,
the API, the desk) say when the next one opens. A time limit the law counts from a window's
close is counted from it."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures.models import FilingWindow, Procedure


@dataclass(frozen=True)
class WindowState:
    windowed: bool  # the procedure has windows at all
    current: FilingWindow | None
    next: FilingWindow | None

    @property
    def is_open(self) -> bool:
        return not self.windowed or self.current is not None


def window_state(procedure: Procedure, now: dt.datetime | None = None) -> WindowState:
    now = now or timezone.now()
    windows = list(procedure.windows.filter(closes_at__gt=now).order_by("opens_at")[:2])
    windowed = bool(windows) or procedure.windows.exists()
    current = next((w for w in windows if w.opens_at <= now), None)
    upcoming = next((w for w in windows if w.opens_at > now), None)
    return WindowState(windowed=windowed, current=current, next=upcoming)


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def window_refusal(procedure: Procedure, now: dt.datetime | None = None) -> ValidationError | None:
    """Why a dossier cannot be filed for this procedure now (None: it can)."""
    state = window_state(procedure, now)
    if state.is_open:
        return None
    if state.next is not None:
        return ValidationError(
            _("Filing for this procedure is closed. The next window (%(name)s) opens at %(opens)s.")
            % {"name": state.next.name, "opens": _when(state.next.opens_at)},
            code="window_closed",
        )
    return ValidationError(
        _("Filing for this procedure is closed, and no next window has been announced yet."),
        code="window_closed",
    )


def clock_start(dossier, received_at: dt.datetime) -> dt.datetime:
    """When the dossier's time limit starts: at receipt, or, for a procedure whose limit the law
    counts from the close of the filing window, at the close of the window it was filed in."""
    if not dossier.version.time_from_window_close or dossier.submitted_at is None:
        return received_at
    window = (
        dossier.version.procedure.windows.filter(
            opens_at__lte=dossier.submitted_at, closes_at__gt=dossier.submitted_at
        )
        .order_by("opens_at")
        .first()
    )
    return max(received_at, window.closes_at) if window else received_at
