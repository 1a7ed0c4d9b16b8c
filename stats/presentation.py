"""What the statistics pages show, computed once for the public page and the dashboards:
the scorecard, the monthly chart and the per-agency chart, each with the table of its
figures."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from stats import charts
from stats.indicators import Period, Scope, monthly, scorecard
from stats.models import DailyCount


def chart_period(period: Period) -> Period:
    """The months the monthly chart covers: the period's own months when it spans several,
    else the twelve months that end with it."""
    if period.first.replace(day=1) != period.last.replace(day=1):
        return period
    first = period.first.replace(day=1)
    for _month in range(11):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return Period(first, period.last)


def percent(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.1"), ROUND_HALF_UP)


def page_context(*, scope: Scope, period: Period, today: dt.date) -> dict:
    card = scorecard(scope, period)
    months = monthly(scope, chart_period(period))
    month_labels = [date_format(m["month"], "m/Y") for m in months]
    chart_title = _("Dossiers received, resolved and resolved early or on time, per month")
    chart = charts.grouped_bars(
        month_labels,
        [
            (_("Received"), [m["received"] for m in months]),
            (_("Resolved"), [m["resolved"] for m in months]),
            (_("Resolved early or on time"), [m["on_time"] for m in months]),
        ],
    )
    counts = card.sums.counts
    return {
        "card": card,
        "period": period,
        "today": today,
        "months": months,
        "monthly_title": chart_title,
        "monthly_svg": charts.bars_svg(
            chart,
            id="monthly",
            title=chart_title,
            description=_(
                "Bars per month: received, resolved, resolved early or on time. The table below "
                "gives the same figures."
            ),
        ),
        "summary": {
            "received": counts["received"],
            "resolved": counts["resolved"],
            "on_time": card.value("P1").percent,
            "online": card.value("O3").percent,
            "overdue": card.sums.in_progress_overdue,
        },
    }


def figures(row: dict) -> dict:
    """A row of summed counts as a table shows it: received, the share filed online, resolved,
    late, and the share resolved early or on time."""
    return {
        "received": row["received"] or 0,
        "online": percent(row["received_online"] or 0, row["received"] or 0),
        "resolved": row["resolved"] or 0,
        "late": row["resolved_late"] or 0,
        "on_time": percent(
            (row["resolved_early"] or 0) + (row["resolved_on_time"] or 0), row["resolved"] or 0
        ),
    }


def figures_by(rows, key: str) -> dict:
    """`figures` per value of `key` (agency_id, procedure_id) of these DailyCount rows."""
    names = ["received", "received_online", "resolved", "resolved_early", "resolved_on_time",
             "resolved_late"]  # fmt: skip
    grouped = rows.values(key).order_by().annotate(**{name: Sum(name) for name in names})
    return {row[key]: figures(row) for row in grouped}


EMPTY = {"received": 0, "online": None, "resolved": 0, "late": 0, "on_time": None}


def by_agency(period: Period, agencies, *, units: bool = False) -> dict:
    """Each agency's figures in the period (one grouped query) and the chart of their
    on-time rates (`units`: the agencies are the units under one, and the chart says so)."""
    rows = DailyCount.objects.filter(day__gte=period.first, day__lte=period.last)
    found = figures_by(rows, "agency_id")
    table = [{"agency": agency, **found.get(agency.pk, EMPTY)} for agency in agencies]
    chart = charts.percent_bars(
        [(entry["agency"].short_name or entry["agency"].name, entry["on_time"]) for entry in table]
    )
    if units:
        title = _("Share of dossiers resolved early or on time, by unit")
        description = _(
            "One bar per unit: the percentage of its dossiers resolved in the period that were "
            "resolved early or on time. The table below gives the same figures."
        )
    else:
        title = _("Share of dossiers resolved early or on time, by agency")
        description = _(
            "One bar per agency: the percentage of its dossiers resolved in the period that were "
            "resolved early or on time. The table below gives the same figures."
        )
    svg = charts.percent_bars_svg(
        chart, id="units" if units else "agencies", title=title, description=description
    )
    return {"table": table, "chart": chart, "title": title, "svg": svg}
