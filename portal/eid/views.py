"""The pages of the national eID sign-in: start, return, link an existing account, log out.

Every failure comes back to the login page with a message saying what happened; no account is
created or changed and no session opened unless the whole sign-in succeeded.
"""

import logging
import re
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from portal.eid import BACKEND, SESSION_ID_TOKEN, SESSION_LEVEL, SESSION_PENDING_LINK, config
from portal.eid.backend import SignIn
from portal.eid.forms import LinkForm
from portal.eid.services import (
    EidError,
    Identity,
    LinkRequired,
    eid_account_link,
    has_placeholder_email,
)
from portal.models import User

logger = logging.getLogger(__name__)

# How long the eID return stays good for linking an existing account, and how many wrong
# passwords it allows before the person must sign in with VNeID again.
LINK_SECONDS = 10 * 60
LINK_MAX_FAILURES = 5
# An OAuth error code (RFC 6749 §4.1.2.1) is shown only when it looks like one.
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


def _to_login(request, message):
    messages.error(request, message)
    return redirect("login")


def _unreachable(request):
    return _to_login(
        request,
        _(
            "The national eID service cannot be reached at the moment. Please try again later, "
            "or sign in with your email and password."
        ),
    )


class StartView(OIDCAuthenticationRequestView):
    """Off: 404. On: to the provider's authorization endpoint with state, nonce and a PKCE
    challenge (S256), kept in the session for the return."""

    get_settings = staticmethod(config.oidc_setting)

    def __init__(self, **kwargs):
        # The endpoints are looked up per request (discovery may be needed), not at init.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    def get(self, request):
        if not config.enabled():
            raise Http404
        if request.user.is_authenticated:
            return redirect("home")
        try:
            provider = config.provider()
        except config.ProviderUnavailable:
            return _unreachable(request)
        self.OIDC_OP_AUTH_ENDPOINT = provider.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = provider.client_id
        return super().get(request)


def _finish(request, user: User, sign_in: SignIn, next_url: str | None):
    """Open the session for `user` and keep what the logout needs."""
    auth.login(request, user, backend=BACKEND)
    request.session[SESSION_ID_TOKEN] = sign_in.id_token
    request.session[SESSION_LEVEL] = sign_in.identity.level
    messages.success(
        request,
        _("You are signed in with your national electronic identity (level %(level)s).")
        % {"level": sign_in.identity.level},
    )
    if has_placeholder_email(user):
        messages.info(
            request,
            _("Add your email address on your profile page to receive news of your dossiers."),
        )
    return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


@never_cache
def callback(request):
    """The provider's return: refused with a message, sent to the linking page, or signed in."""
    if not config.enabled():
        raise Http404
    states = request.session.get("oidc_states") or {}
    state = request.GET.get("state", "")
    entry = states.pop(state, None) if state else None
    # Used once, whatever happens next (a replayed return finds no state).
    request.session["oidc_states"] = states
    next_url = request.session.pop("oidc_login_next", None)
    error = request.GET.get("error")
    if error:
        if error == "access_denied":
            return _to_login(request, _("The sign-in with VNeID was cancelled."))
        code = error if _ERROR_CODE.fullmatch(error) else "invalid"
        return _to_login(
            request,
            _("The national eID service refused the sign-in (error: %(code)s). Please try again.")
            % {"code": code},
        )
    if entry is None or not request.GET.get("code"):
        return _to_login(
            request,
            _(
                "This sign-in could not be verified: it expired, was already used, or was "
                "started in another browser. Please sign in with VNeID again."
            ),
        )
    try:
        user = auth.authenticate(
            request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
        )
    except LinkRequired as link:
        sign_in = request.eid_sign_in
        request.session[SESSION_PENDING_LINK] = {
            "user_id": link.user_id,
            "identity": sign_in.identity.as_dict(),
            "id_token": sign_in.id_token,
            "expires": time.time() + LINK_SECONDS,
            "failures": 0,
            "next": next_url,
        }
        return redirect("eid_link")
    except EidError as refusal:
        logger.info("eID sign-in refused: %s", refusal.code)
        return _to_login(request, refusal.message)
    except (config.ProviderUnavailable, requests.RequestException) as exc:
        logger.warning("eID provider unreachable or refusing the code: %s", exc)
        return _unreachable(request)
    except SuspiciousOperation as exc:
        logger.warning("eID answer refused: %s", exc)
        return _to_login(
            request,
            _("The national eID service's answer could not be verified. Please try again."),
        )
    sign_in = getattr(request, "eid_sign_in", None)
    if user is None or sign_in is None or not user.is_active:
        return _to_login(request, _("The sign-in with VNeID did not succeed. Please try again."))
    return _finish(request, user, sign_in, next_url)


@never_cache
@sensitive_post_parameters("password")
def link(request):
    """After an eID return for a citizen ID number that a password account already has: its
    owner types that account's password once, and the account is tied to the identity."""
    if not config.enabled():
        raise Http404
    pending = request.session.get(SESSION_PENDING_LINK)
    if not pending or pending["expires"] < time.time():
        request.session.pop(SESSION_PENDING_LINK, None)
        return _to_login(request, _("Linking timed out. Please sign in with VNeID again."))
    account = User.objects.filter(pk=pending["user_id"]).first()
    if account is None:
        request.session.pop(SESSION_PENDING_LINK, None)
        return _to_login(request, _("Linking timed out. Please sign in with VNeID again."))
    if request.method == "POST" and "cancel" in request.POST:
        request.session.pop(SESSION_PENDING_LINK, None)
        messages.info(request, _("The accounts were not linked."))
        return redirect("login")
    form = LinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Through authenticate(): the same checks and lockouts as the login page.
        checked = auth.authenticate(
            request, username=account.email, password=form.cleaned_data["password"]
        )
        if checked is not None and checked.pk == account.pk:
            identity = Identity(**pending["identity"])
            request.session.pop(SESSION_PENDING_LINK, None)
            try:
                user = eid_account_link(user_id=account.pk, identity=identity)
            except EidError as refusal:
                return _to_login(request, refusal.message)
            messages.success(request, _("Your account is now linked to your VNeID."))
            sign_in = SignIn(identity=identity, id_token=pending["id_token"])
            return _finish(request, user, sign_in, pending.get("next"))
        pending["failures"] += 1
        if pending["failures"] >= LINK_MAX_FAILURES:
            request.session.pop(SESSION_PENDING_LINK, None)
            return _to_login(
                request,
                _("Too many wrong passwords: the accounts were not linked. Please try later."),
            )
        request.session[SESSION_PENDING_LINK] = pending
        form.add_error("password", _("The password is not correct."))
    context = {"form": form, "email": _masked(account.email)}
    return render(request, "registration/eid_link.html", context)


def _masked(email: str) -> str:
    """n•••••@example.vn: enough for the owner to recognise the account, not to learn it."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 3)}@{domain}"


class LogoutView(auth_views.LogoutView):
    """Django's logout; after an eID sign-in, also the provider's (RP-initiated logout, with
    id_token_hint and post_logout_redirect_uri), so that signing out of the portal signs the
    person out of VNeID on this browser too."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(SESSION_ID_TOKEN)
        response = super().post(request, *args, **kwargs)
        if not id_token or not config.enabled():
            return response
        try:
            end_session = config.provider().end_session_endpoint
        except config.ProviderUnavailable:
            return response
        if not end_session:
            return response
        query = urlencode(
            {
                "id_token_hint": id_token,
                "client_id": settings.EID_OIDC_CLIENT_ID,
                "post_logout_redirect_uri": request.build_absolute_uri(
                    resolve_url(settings.LOGOUT_REDIRECT_URL)
                ),
            }
        )
        separator = "&" if "?" in end_session else "?"
        return redirect(f"{end_session}{separator}{query}")
