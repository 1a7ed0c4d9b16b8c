from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal import health, ratelimit, registration
from portal.eid.services import has_placeholder_email
from portal.errors import is_api_request
from portal.forms import LimitedPasswordChangeForm, PhoneCodeForm, ProfileForm, RegistrationForm
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
    """The registration form: whatever the address, the answer is "we sent you a link"
    (portal.registration), and nothing is made until the link is confirmed."""
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
        # Each attempt sends an email: a limit per address keeps the portal from mailing
        # strangers at scale (the form stays as typed).
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
        registration.registration_start(
            data=form.cleaned_data,
            password_hash=make_password(form.cleaned_data["password1"]),
            language=translation.get_language() or settings.LANGUAGE_CODE,
            next_url=_safe_next(request) or "",
        )
        request.session["registration_email"] = form.cleaned_data["email"]
        return redirect("register_sent")
    context = {"form": form, "next": _safe_next(request)}
    return render(request, "registration/register.html", context)


@require_GET
def register_sent(request):
    email = request.session.get("registration_email")
    if not email:
        return redirect("register")
    return render(
        request,
        "registration/register_sent.html",
        {"email": email, "hours": settings.REGISTRATION_LINK_HOURS},
    )


@never_cache
def register_confirm(request, token: str):
    """The link of the registration email: a button makes the account (a mail scanner that
    opens the link makes nothing), signs its owner in, and asks for the phone's code."""
    try:
        pending = registration.pending_for(token)
    except registration.LinkProblem as problem:
        return render(
            request,
            "registration/register_confirm.html",
            {"problem": str(problem), "code": problem.code},
            status=400 if problem.code == "invalid" else 410,
        )
    if request.method != "POST":
        return render(request, "registration/register_confirm.html", {"pending": pending})
    confirmed = registration.registration_confirm(pending=pending)
    if confirmed.user is None:
        messages.info(
            request,
            _(
                "This address has an account already. Log in, or set a new password if you "
                "have forgotten it."
            ),
        )
        return redirect("login")
    user = confirmed.user
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.pop("registration_email", None)
    messages.success(request, _("Your account has been created. Welcome!"))
    if confirmed.citizen_id_dropped:
        messages.warning(
            request,
            _(
                "The citizen ID number you gave is already on another account, so it was not "
                "saved on this one. If it is yours, sign in with VNeID or ask the agency's desk."
            ),
        )
    next_url = (
        pending.next_url
        if url_has_allowed_host_and_scheme(pending.next_url, allowed_hosts={request.get_host()})
        else ""
    )
    if user.phone:
        try:
            registration.phone_code_send(user=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(_with_next(reverse("phone_confirm"), next_url))
    return redirect(next_url or "home")


def _with_next(path: str, next_url: str) -> str:
    return f"{path}?{urlencode({'next': next_url})}" if next_url else path


@login_required
@never_cache
def phone_confirm(request):
    """Confirm the account's phone with the code sent to it by SMS; send a new code."""
    user = request.user
    next_url = _safe_next(request)
    confirming = request.method == "POST" and request.POST.get("action") != "send"
    form = PhoneCodeForm(request.POST if confirming else None)
    if request.method == "POST":
        if request.POST.get("action") == "send":
            try:
                registration.phone_code_send(user=user)
                messages.info(
                    request, _("We sent a new code to %(phone)s.") % {"phone": user.phone}
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            return redirect(_with_next(reverse("phone_confirm"), next_url or ""))
        if form.is_valid():
            try:
                registration.phone_confirm(user=user, code=form.cleaned_data["code"])
            except ValidationError as error:
                form.add_error("code", error)
            else:
                messages.success(request, _("Your phone number is confirmed."))
                return redirect(next_url or "profile")
    status = 400 if form.errors else 200
    return render(
        request,
        "account/phone_confirm.html",
        {"form": form, "next": next_url, "minutes": settings.PHONE_CODE_MINUTES},
        status=status,
    )


@login_required
@never_cache
def email_confirm(request, token: str):
    """The link that confirms a changed address of a signed-in account."""
    try:
        registration.email_confirm(user=request.user, token=token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your email address is confirmed."))
    return redirect("profile")


@login_required
@require_POST
def email_confirm_send(request):
    if request.user.email_confirmed_at is not None:
        return redirect("profile")
    if registration.email_confirmation_send(user=request.user):
        messages.info(
            request,
            _("We sent a link to %(email)s: open it to confirm the address.")
            % {"email": request.user.email},
        )
    else:
        messages.error(
            request, _("Too many links were sent to this account: try again in an hour.")
        )
    return redirect("profile")


@login_required
def profile(request):
    user = request.user
    old_email, old_phone = user.email, user.phone
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        registration.contact_changed(user=user, old_email=old_email, old_phone=old_phone)
        user.save()
        messages.success(request, _("Your profile has been saved."))
        if user.email_confirmed_at is None and user.email.lower() != old_email.lower():
            registration.email_confirmation_send(user=user)
            messages.info(
                request,
                _("We sent a link to %(email)s: open it to confirm the new address.")
                % {"email": user.email},
            )
        if user.phone and user.phone_confirmed_at is None and user.phone != old_phone:
            try:
                registration.phone_code_send(user=user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            return redirect("phone_confirm")
        return redirect("profile")
    return render(
        request,
        "account/profile.html",
        {"form": form, "placeholder_email": has_placeholder_email(request.user)},
    )


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
    """404: JSON for every answer under /api/ (a client never parses an HTML page), the site's
    page elsewhere (templates/404.html, with the ways forward)."""
    if is_api_request(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    """500: JSON under /api/, the site's page (templates/500.html) elsewhere."""
    if is_api_request(request):
        return JsonResponse({"detail": _("Server error: try again in a few minutes.")}, status=500)
    from django.views.defaults import server_error as page

    return page(request)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, with the current password limited like a sign-in (LimitedPasswordChangeForm)."""

    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
