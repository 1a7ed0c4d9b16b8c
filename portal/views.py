from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import health, ratelimit
from portal.errors import is_api_request
from portal.forms import LimitedPasswordChangeForm, ProfileForm, RegistrationForm
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
    if not settings.PASSWORD_LOGIN_CITIZENS:
        # A password account could not sign in: citizens' accounts come from the national eID.
        messages.info(request, _("Citizens' accounts are created by signing in with VNeID."))
        return redirect("login")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and not ratelimit.take(
        f"register:{ratelimit.client_ip(request)}",
        limit=settings.REGISTRATIONS_PER_HOUR,
        window_seconds=3600,
    ):
        # Each attempt tells whether an email or a citizen ID has an account: a limit per
        # address keeps that from being asked at scale (the form stays as typed).
        form.is_valid()
        form.add_error(
            None, _("Too many registration attempts from this address: try again in an hour.")
        )
        return render(
            request,
            "registration/register.html",
            {"form": form, "next": _safe_next(request)},
            status=429,
        )
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
    """The status for everyone (a load balancer's probe); which part is down, and the engines
    behind them, for the internal network (HEALTH_DETAIL_NETWORKS) and staff only."""
    result = health.run_checks()
    status = 200 if result["status"] == "ok" else 503
    if not health.may_see_detail(request):
        result = {"status": result["status"]}
    return JsonResponse(result, status=status)


@require_GET
def switch_language(request, code: str):
    """The language switch: a plain link, so that public pages need no CSRF token and can be
    cached. A logged-in user's choice is also saved on the account (emails follow it)."""
    target = _safe_next(request) or "/"
    response = redirect(target)
    if code in dict(settings.LANGUAGES) and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
        if request.user.is_authenticated and request.user.language != code:
            request.user.language = code
            request.user.save(update_fields=["language"])
    return response


def bad_request(request, exception=None):
    """400 for a request Django itself refuses before any view (too many fields or files, a
    body over the size limit, a malformed multipart): JSON under /api/, Django's page
    elsewhere."""
    if is_api_request(request):
        message = _(
            "The request could not be read: too many fields or files, too large, or malformed. "
            "Send at most %(files)s files and %(fields)s fields in one request."
        ) % {
            "files": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
            "fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        }
        return JsonResponse({"detail": message}, status=400)
    from django.views.defaults import bad_request as django_bad_request

    return django_bad_request(request, exception)


def not_found(request, exception=None):
    """404: JSON for every answer under /api/ (a client never parses an HTML page), Django's
    page elsewhere."""
    if is_api_request(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, with the current password limited like a sign-in (LimitedPasswordChangeForm)."""

    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
