"""The authentication backend of the national eID sign-in (mozilla-django-oidc's, configured
from the EID_* settings, see `config`).

It answers only the eID return (`authenticate(request, nonce=…, code_verifier=…)`, from
`views.callback`): it exchanges the code (with the PKCE verifier) at the token endpoint,
verifies the ID token (RS256 against the provider's JWKS; issuer, audience, expiry, nonce),
reads the userinfo and finds or creates the account (`services`). Refusals are raised, not
returned as None, so that the return page can say why; what the view needs after the login (the
ID token for the logout, the level; the identity to link) is left on the request as
`request.eid_sign_in`, set once the tokens and claims are verified.
"""

import re
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify

from portal import citizen_id
from portal.eid import config
from portal.eid.services import EidError, Identity, eid_account_for

# Clock skew allowed on the ID token's times.
LEEWAY_SECONDS = 60


@dataclass(frozen=True)
class SignIn:
    identity: Identity
    id_token: str


def level_number(value: str) -> int | None:
    """The level in an `acr`/`loa` value: "2", or the last number of a URI such as
    "urn:vn:vneid:loa:2"."""
    numbers = re.findall(r"[0-9]+", value or "")
    return int(numbers[-1]) if numbers else None


def identity_from_claims(id_claims: dict, userinfo: dict) -> Identity:
    """The person in the ID token and the userinfo (the signed ID token wins where both say).

    Raises EidError naming what is missing or wrong."""
    if str(userinfo.get("sub")) != str(id_claims.get("sub")):
        # OpenID Connect Core §5.3.2: a userinfo answer about someone else is not used.
        raise EidError(
            _("The national eID service's answer could not be verified. Please try again."),
            code="userinfo_subject",
        )
    claims = {**userinfo, **id_claims}
    subject = str(claims.get("sub") or "").strip()
    number = str(claims.get(settings.EID_OIDC_CLAIM_CITIZEN_ID) or "").strip()
    name = " ".join(str(claims.get(settings.EID_OIDC_CLAIM_NAME) or "").split())[:150]
    level = str(claims.get(settings.EID_OIDC_CLAIM_LEVEL) or "").strip()[:32]
    missing = [
        str(label)
        for label, value in (
            (_("identifier"), subject),
            (_("citizen ID number"), number),
            (_("full name"), name),
            (_("level of assurance"), level),
        )
        if not value
    ]
    if missing:
        raise EidError(
            _(
                "The national eID service did not send your %(missing)s, so you cannot be "
                "signed in. Please try again, or contact the portal's support."
            )
            % {"missing": ", ".join(missing)},
            code="missing_claims",
        )
    try:
        citizen_id.validate_citizen_id(number)
    except ValidationError:
        try:
            citizen_id.validate_citizen_id_abroad(number)
        except ValidationError:
            raise EidError(
                _("The national eID service sent a citizen ID number that is not valid."),
                code="citizen_id",
            ) from None
    found = level_number(level)
    if found is None or found < settings.EID_OIDC_MIN_LEVEL:
        raise EidError(
            _(
                "Your electronic identity is at level %(level)s; public services need level "
                "%(required)s. Upgrade your VNeID account, then sign in again."
            )
            % {"level": level, "required": settings.EID_OIDC_MIN_LEVEL},
            code="level",
        )
    email = claims.get("email") if claims.get("email_verified") is True else ""
    return Identity(
        subject=subject, citizen_id=number, full_name=name, level=level, email=email or ""
    )


class EidBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(config.oidc_setting)

    def __init__(self, *args, **kwargs):
        # Nothing read here: Django builds a backend for every authenticate() and for every
        # request's get_user(); the provider is looked up on an eID return only.
        self.UserModel = get_user_model()

    def _configure(self, provider: config.Provider) -> None:
        self.provider = provider
        self.OIDC_OP_TOKEN_ENDPOINT = provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = provider.jwks_endpoint
        self.OIDC_RP_CLIENT_ID = provider.client_id
        self.OIDC_RP_CLIENT_SECRET = provider.client_secret
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, nonce=None, code_verifier=None):
        """The account of the eID return in `request` (its `code`), or None if this is none.

        Raises EidError, LinkRequired, config.ProviderUnavailable, requests' errors (the
        provider unreachable or refusing the code) and SuspiciousOperation (a token that does
        not verify)."""
        if request is None or not config.enabled() or not request.GET.get("code"):
            return None
        self.request = request
        self._configure(config.provider())
        token_info = self.get_token(
            {
                "client_id": self.OIDC_RP_CLIENT_ID,
                "client_secret": self.OIDC_RP_CLIENT_SECRET,
                "grant_type": "authorization_code",
                "code": request.GET["code"],
                "redirect_uri": absolutify(request, reverse("eid_callback")),
                "code_verifier": code_verifier,
            }
        )
        id_token, access_token = token_info.get("id_token"), token_info.get("access_token")
        if not id_token or not access_token:
            raise SuspiciousOperation("The token answer has no ID token or access token")
        payload = self.verify_token(id_token, nonce=nonce)
        userinfo = self.get_userinfo(access_token, id_token, payload)
        identity = identity_from_claims(payload, userinfo)
        request.eid_sign_in = SignIn(identity=identity, id_token=id_token)
        return eid_account_for(identity=identity)

    def _verify_jws(self, payload, key):
        """mozilla-django-oidc checks the signature only; the issuer, the audience (this
        portal) and the times are checked too, so that a token the provider made for another
        party, or long ago, is refused."""
        try:
            if jwt.get_unverified_header(payload).get("alg") != "RS256":
                raise SuspiciousOperation("The ID token is not signed with RS256")
            return jwt.decode(
                payload,
                key,
                algorithms=["RS256"],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.provider.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
