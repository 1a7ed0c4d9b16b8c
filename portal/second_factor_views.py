"""The staff's second-factor pages (portal.second_factor): enrol an authenticator app, enter a
code after the password, renew the recovery codes. A citizen who opens them is sent on."""

from urllib.parse import urlencode

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_static.models import StaticDevice

from portal import second_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        help_text=gettext_lazy(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _pass(request, device) -> None:
    """The session has passed the second factor: a new session key (what the password alone
    opened is not carried over) and the device in the session (django-otp's login)."""
    request.session.cycle_key()
    django_otp.login(request, device)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    user, target = request.user, _next(request)
    if not second_factor.is_pending(user):
        return redirect(target)
    if not second_factor.has_device(user):
        return redirect(_with_next("second_factor_setup", target))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor.verify(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            _pass(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; %(left)d are left. Renew them from "
                        "your profile if you are running out."
                    )
                    % {"left": second_factor.recovery_codes_left(user)},
                )
            return redirect(target)
    return render(request, "account/second_factor_verify.html", {"form": form, "next": target})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    user, target = request.user, _next(request)
    if not second_factor.needs_second_factor(user):
        return redirect(target)
    if second_factor.has_device(user):
        return redirect(_with_next("second_factor_verify", target))
    device = second_factor.device_setup(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor.device_confirm(
                user=user, device=device, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            _pass(request, device)
            return _show_codes(request, codes, target, enrolled=True)
    context = {
        "form": form,
        "next": target,
        "qr": second_factor.qr_svg(device),
        "secret": second_factor.secret_text(device),
    }
    return render(request, "account/second_factor_setup.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """How many recovery codes are left, and new ones in their place (shown once). Reached only
    by a session that has passed the second factor (the middleware sees to that)."""
    user = request.user
    if not second_factor.needs_second_factor(user):
        return redirect("profile")
    if request.method == "POST":
        codes = second_factor.recovery_codes_renew(user=user)
        return _show_codes(request, codes, reverse("profile"), enrolled=False)
    return render(
        request,
        "account/second_factor_recovery.html",
        {"left": second_factor.recovery_codes_left(user)},
    )


def _show_codes(request, codes: list[str], target: str, *, enrolled: bool):
    """The recovery codes, in this answer only (never cached): no page shows them again."""
    context = {
        "codes": [second_factor.format_recovery_code(code) for code in codes],
        "next": target,
        "enrolled": enrolled,
    }
    return render(request, "account/second_factor_codes.html", context)
