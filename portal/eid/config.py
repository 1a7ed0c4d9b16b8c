"""The national eID provider as configured: on or off, and its endpoints.

The endpoints are the EID_OIDC_*_ENDPOINT settings where given, else those of the issuer's
discovery document (`{issuer}/.well-known/openid-configuration`), fetched when first needed and
cached for an hour: never at start-up, so that a provider down does not stop the portal.
"""

import hashlib
import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

DISCOVERY_CACHE_SECONDS = 3600


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read, or does not describe it."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_endpoint: str
    end_session_endpoint: str


def enabled() -> bool:
    """eID sign-in is on when both the issuer and the portal's client ID are set."""
    return bool(settings.EID_OIDC_ISSUER and settings.EID_OIDC_CLIENT_ID)


def _discovery(issuer: str) -> dict:
    key = "eid:discovery:" + hashlib.sha256(issuer.encode()).hexdigest()
    document = cache.get(key)
    if document is not None:
        return document
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.EID_OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("eID discovery document unreadable at %s: %s", url, exc)
        raise ProviderUnavailable(str(exc)) from exc
    # OpenID Connect Discovery §4.3: the issuer in the document is exactly the one configured,
    # or the ID tokens would be checked against another party's.
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        logger.warning("eID discovery document at %s names another issuer", url)
        raise ProviderUnavailable("issuer mismatch")
    cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def provider() -> Provider:
    """The configured provider, discovering what the settings leave out.

    Raises ProviderUnavailable when discovery is needed and fails."""
    explicit = {
        "authorization_endpoint": settings.EID_OIDC_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.EID_OIDC_TOKEN_ENDPOINT,
        "userinfo_endpoint": settings.EID_OIDC_USER_ENDPOINT,
        "jwks_endpoint": settings.EID_OIDC_JWKS_ENDPOINT,
        "end_session_endpoint": settings.EID_OIDC_END_SESSION_ENDPOINT,
    }
    required = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_endpoint")
    if not all(explicit[name] for name in required):
        document = _discovery(settings.EID_OIDC_ISSUER)
        names = {"jwks_endpoint": "jwks_uri"}
        for name, value in explicit.items():
            explicit[name] = value or str(document.get(names.get(name, name)) or "")
        if not all(explicit[name] for name in required):
            raise ProviderUnavailable("the discovery document lacks an endpoint")
    return Provider(
        issuer=settings.EID_OIDC_ISSUER,
        client_id=settings.EID_OIDC_CLIENT_ID,
        client_secret=settings.EID_OIDC_CLIENT_SECRET,
        **explicit,
    )


# What mozilla-django-oidc asks its settings for, answered from the EID_* settings: one set of
# names to configure (and for tests to change), and the protocol choices fixed here.
_FIXED = {
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_USE_PKCE": True,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
    "OIDC_USE_NONCE": True,
    "OIDC_ALLOW_UNSECURED_JWT": False,
    "OIDC_VERIFY_SSL": True,
    "OIDC_VERIFY_KID": True,
    "OIDC_TOKEN_USE_BASIC_AUTH": False,
    "OIDC_RP_IDP_SIGN_KEY": None,
    "OIDC_AUTHENTICATION_CALLBACK_URL": "eid_callback",
    "OIDC_REDIRECT_FIELD_NAME": "next",
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_STORE_ID_TOKEN": False,
    "OIDC_CREATE_USER": True,
    "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {},
}


def oidc_setting(name: str, *default):
    if name in _FIXED:
        return _FIXED[name]
    if name == "OIDC_RP_SCOPES":
        return settings.EID_OIDC_SCOPES
    if name == "OIDC_TIMEOUT":
        return settings.EID_OIDC_TIMEOUT
    if name == "OIDC_RP_CLIENT_ID":
        return settings.EID_OIDC_CLIENT_ID
    if name == "OIDC_RP_CLIENT_SECRET":
        return settings.EID_OIDC_CLIENT_SECRET
    if default:
        return getattr(settings, name, default[0])
    return getattr(settings, name)
