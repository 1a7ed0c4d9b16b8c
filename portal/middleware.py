from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponseForbidden, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal import second_factor
from portal.controls import MESSAGE, form_has_control, has_control
from portal.errors import is_api_request


class UserLanguageMiddleware:
    """A logged-in user's chosen language wins over the browser's, unless the language cookie
    was set by the switcher in this browser (then LocaleMiddleware has already honoured it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language != translation.get_language()
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


# Headers the portal reads (X-Real-IP or whatever CLIENT_IP_HEADER names is added at start).
_READ_HEADERS = ("HTTP_IDEMPOTENCY_KEY", "HTTP_ACCEPT_LANGUAGE")


class ControlCharacterMiddleware:
    """Every text input of a request — the path, the query, the headers the portal reads, and
    the form bodies of the pages — with a control character (portal.controls) gets a 400 with a
    clear message, before any view or the database sees it. Under /api/ the answer is JSON, and
    bodies are checked by the API's own parsers (portal.parsers): reading them here would leave
    REST framework an empty body. The payment gateway's own addresses (PAYMENT_GATEWAY_PATHS)
    are left to their views, which answer in the gateway's protocol."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.headers = (*_READ_HEADERS, settings.CLIENT_IP_HEADER or "REMOTE_ADDR")

    def __call__(self, request):
        if not request.path_info.startswith(tuple(settings.PAYMENT_GATEWAY_PATHS)) and (
            self._bad(request)
        ):
            return self._refuse(request)
        return self.get_response(request)

    def _bad(self, request) -> bool:
        if has_control(request.path_info) or form_has_control(request.GET):
            return True
        if any(has_control(request.META.get(name, "")) for name in self.headers):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS") or is_api_request(request):
            return False
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                return form_has_control(request.POST)
            except (MultiPartParserError, SuspiciousOperation):
                return False  # a broken or too large body: the view's (or Django's) 400
        return False

    def _refuse(self, request):
        if is_api_request(request):
            return JsonResponse({"detail": str(MESSAGE)}, status=400)
        return render(request, "portal/bad_request.html", {"message": MESSAGE}, status=400)


class HtmlContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's Content-Security-Policy (CONTENT_SECURITY_POLICY in the settings), on HTML
    pages only: a PDF, a file or JSON is no document a script could run in, and a policy on a
    PDF would only get in the way of the browser's own viewer."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        # A form's submission may redirect off the site only to the services the portal hands
        # a citizen to (browsers enforce form-action on those redirects): the national eID's
        # sign-in and sign-out (signing out ends the provider's session too) and the payment
        # gateway. Read per response: the settings say where they are.
        origins = sorted(
            {
                origin
                for origin in map(
                    _origin,
                    [
                        settings.EID_OIDC_ISSUER,
                        settings.EID_OIDC_AUTHORIZATION_ENDPOINT,
                        settings.EID_OIDC_END_SESSION_ENDPOINT,
                        settings.VNPAY_PAYMENT_URL,
                    ],
                )
                if origin
            }
        )
        if origins and getattr(response, "_csp_update", None) is None:
            response._csp_update = {"form-action": origins}
        return super().process_response(request, response)


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class DevelopmentLoopbackMiddleware:
    """In development mode (portal.devserver) a request whose socket address is not loopback is
    refused with a 403 saying why — the socket's, never a header a client could forge — unless
    PORTAL_DEV_ALLOW_REMOTE=true. In production it steps aside."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from portal.devserver import REFUSAL, is_loopback

        if settings.PRODUCTION or settings.DEV_ALLOW_REMOTE:
            return self.get_response(request)
        if not is_loopback(request.META.get("REMOTE_ADDR", "")):
            return HttpResponseForbidden(REFUSAL, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class StaffSecondFactorMiddleware:
    """A staff session that has not passed the second factor (portal.second_factor) reaches
    only the second-factor pages, logging out and the language switch: every other page sends
    it to the verification page (which sends a staff member without an app to enrol one), and
    the API answers 403. A request to the API with a token is left to the token: the token API
    issues staff tokens only with a code."""

    EXEMPT = frozenset(
        {
            "second_factor_verify",
            "second_factor_setup",
            "logout",
            "switch_language",
            "set_language",
            "healthz",
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if second_factor.is_pending(request.user) and not self._exempt(request):
            return self._refuse(request)
        return self.get_response(request)

    def _exempt(self, request) -> bool:
        if is_api_request(request):
            keyword = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0]
            return keyword.lower() == "token"  # REST framework's TokenAuthentication decides
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in self.EXEMPT  # namespaced: the admin's logout is not exempt

    def _refuse(self, request):
        if is_api_request(request):
            return JsonResponse(
                {
                    "detail": _(
                        "This session has not passed the second factor: enter the code of "
                        "your authenticator app on the website first, or use an API token."
                    )
                },
                status=403,
            )
        return redirect_to_login(
            request.get_full_path(), reverse("second_factor_verify"), REDIRECT_FIELD_NAME
        )
