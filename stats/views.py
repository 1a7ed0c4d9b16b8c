"""The public statistics page (/thong-ke/): the portal's and each agency's Decision 766
indicators, with charts and their tables. No login; cached for anonymous visitors
(portal.caching, generation "statistics", renewed by each refresh of the counts)."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.models import Agency
from stats import presentation
from stats.forms import PeriodForm
from stats.indicators import Scope


@require_GET
def public(request):
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, today=today)
    period = form.period_or_default()
    agencies = list(Agency.objects.filter(is_active=True, kind=Agency.Kind.AGENCY).order_by("code"))
    agency = None
    if request.GET.get("agency"):
        agency = next((a for a in agencies if a.code == request.GET["agency"]), None)
        if agency is None:
            raise Http404
    scope = Scope.agency(agency, with_children=True) if agency else Scope()
    context = presentation.page_context(scope=scope, period=period, today=today)
    context.update(
        {
            "form": form,
            "agencies": agencies,
            "agency": agency,
            "by_agency": None if agency else presentation.by_agency(period, agencies),
        }
    )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "stats/public.html", context, status=status)
