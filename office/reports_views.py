"""The reports of procedure results in the back-office (/office/statistics/reports/): Biểu số
06/VPCP/KSTT (stats.reports) of the officer's agency, or of a unit under it (`unit`, as on the
statistics page; any other agency → 404), for a month, a quarter, a half-year or a year: the
table on the page, the spreadsheet at once (GET `format=xlsx`), and the signed PDF (POST; a
leader or an administrator of the agency, for the agency itself), one per period."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from office.dashboard import _unit
from office.slips import signature_of
from portal.permissions import officer_required
from stats import reports
from stats.forms import ReportPeriodForm
from stats.models import ReportKind
from stats.reports import ReportPeriod


def _query(unit, own, period: ReportPeriod, **extra) -> str:
    values = {"kind": period.kind, "number": period.number, "year": period.year, **extra}
    if period.kind == ReportKind.YEAR:
        values.pop("number")
    if unit != own:
        values["unit"] = unit.code
    return "?" + urlencode(values)


@officer_required
@require_http_methods(["GET", "POST"])
def report(request):
    today = timezone.localdate()
    unit, own = _unit(request), request.user.agency
    data = request.POST if request.method == "POST" else request.GET
    if "kind" not in data:
        latest = ReportPeriod.latest_ended(ReportKind.MONTH, today)
        data = {"kind": latest.kind, "number": latest.number, "year": latest.year}
    form = ReportPeriodForm(data, today=today)
    context = {
        "form": form,
        "unit": unit,
        "own_agency": own,
        "cutoff": settings.STATS_REPORT_CUTOFF_DAY,
    }
    if not form.is_valid():
        return render(request, "office/reports.html", context, status=400)
    period = form.cleaned_data["period"]
    if request.method == "POST":
        try:
            reports.report_issue(
                agency=unit,
                period=period,
                actor=request.user,
                signature=signature_of(request.user, unit),
            )
        except PermissionDenied:
            messages.error(
                request, _("Only a leader or an administrator of the agency may sign its report.")
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The report is being prepared as a signed PDF."))
        return redirect(reverse("office:reports") + _query(unit, own, period))
    figures = reports.figures_for(unit, period)
    if request.GET.get("format") == "xlsx":
        return reports.xlsx_response(figures)
    context.update(
        {
            "period": period,
            "figures": figures,
            "as_of": timezone.localtime(figures.as_of),
            "ended": period.has_ended(today),
            "document": reports.document_of(reports.report_get(agency=unit, period=period)),
            "may_issue": reports.may_issue(request.user, unit),
            "xlsx_query": _query(unit, own, period, format="xlsx"),
        }
    )
    return render(request, "office/reports.html", context)
