from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import health
from portal.forms import ProfileForm, RegistrationForm
from portal.models import Agency


def home(request):
    agencies = Agency.objects.filter(is_active=True).order_by("code")
    return render(request, "portal/home.html", {"agencies": agencies})


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your account has been created. Welcome!"))
        return redirect(_safe_next(request) or "home")
    context = {"form": form, "next": _safe_next(request)}
    return render(request, "registration/register.html", context)


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been saved."))
        return redirect("profile")
    return render(request, "account/profile.html", {"form": form})


@never_cache
@require_GET
def healthz(request):
    result = health.run_checks()
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)
