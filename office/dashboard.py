"""The agency's statistics in the back-office (/office/statistics/): the Decision 766
indicators of the officer's agency (and the units under it) for a period, the dossiers behind
the figures that need action (overdue now, due within two days, resolved late last month),
feedback past its due time, each procedure's figures, and for an agency with units, one line
per unit (the leader's view across units). An officer sees their own agency and the agencies
under it; any other → 404."""

import datetime as dt

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from feedback import selectors as feedback_selectors
from portal.models import Agency
from portal.permissions import officer_required
from procedures.models import Procedure
from stats import presentation
from stats.aggregates import day_bounds
from stats.forms import PeriodForm
from stats.indicators import Period, Scope, descendant_ids
from submissions.models import CLOCK_STATES, Timeliness

# What the lists show of a dossier (office/_statistics_dossiers.html), read as plain rows.
LISTED = [
    "public_id",
    "code",
    "agency_id",
    "due_at",
    "resolved_at",
    "agency__name",
    "agency__short_name",
    "assignee__full_name",
    "version__name",
]
LIST_SIZE = 10  # each list shows its first rows; the figures above give the counts


def _unit(request) -> Agency:
    """The agency asked for (`unit`), if it is the officer's own or under it."""
    own = request.user.agency
    code = request.GET.get("unit")
    if not code or code == own.code:
        return own
    unit = Agency.objects.filter(code=code).first()
    if unit is None or unit.pk not in descendant_ids(own):
        raise Http404
    return unit


def _procedures(per_procedure: dict[int, dict]) -> list[dict]:
    """Each procedure's figures, from the sums the scorecard read."""
    procedures = Procedure.objects.filter(pk__in=per_procedure).prefetch_related("versions")
    table = []
    for procedure in procedures:
        version = max(procedure.versions.all(), key=lambda v: v.number, default=None)
        name = version.name if version else procedure.code
        row = presentation.figures(per_procedure[procedure.pk])
        table.append({"procedure": procedure, "name": name, **row})
    return sorted(table, key=lambda row: -row["received"])


def _behind(scope: Scope, *, now: dt.datetime, today: dt.date) -> dict:
    """The dossiers behind the figures that need someone's attention."""
    running = scope.dossiers().filter(state__in=CLOCK_STATES).order_by("due_at").values(*LISTED)
    last_month = Period.month_of(today.replace(day=1) - dt.timedelta(days=1))
    start, end = day_bounds(last_month.first, last_month.last)
    late = (
        scope.dossiers()
        .filter(resolved_at__gte=start, resolved_at__lt=end, timeliness=Timeliness.LATE)
        .order_by("resolved_at")
        .values(*LISTED)
    )
    return {
        "overdue": list(running.filter(due_at__lt=now)[:LIST_SIZE]),
        "due_soon": list(
            running.filter(due_at__gte=now, due_at__lt=now + dt.timedelta(days=2))[:LIST_SIZE]
        ),
        "late_last_month": list(late[:LIST_SIZE]),
        "feedback_overdue": list(
            feedback_selectors.feedback_overdue(
                agency_ids=list(scope.agency_ids), now=now
            ).select_related("agency")[:LIST_SIZE]
        ),
        "last_month": last_month,
    }


@officer_required
@require_GET
def statistics(request):
    now = timezone.now()
    today = timezone.localdate()
    unit = _unit(request)
    form = PeriodForm(request.GET or None, today=today)
    period = form.period_or_default()
    scope = Scope.agency(unit, with_children=True)
    children = list(Agency.objects.filter(parent=unit, is_active=True).order_by("code"))
    context = presentation.page_context(scope=scope, period=period, today=today)
    context.update(
        {
            "form": form,
            "unit": unit,
            "own_agency": request.user.agency,
            "procedures": _procedures(context["card"].sums.per_procedure),
            "units": presentation.by_agency(period, children, units=True) if children else None,
            "behind": _behind(scope, now=now, today=today),
            "list_size": LIST_SIZE,
        }
    )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "office/statistics.html", context, status=status)
