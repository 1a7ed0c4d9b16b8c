"""Settings of the local eID provider (DEMO ONLY): from the environment that `python -m
eid_provider` sets (EID_PROVIDER_DATA_DIR, EID_PROVIDER_ISSUER)."""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

if os.environ.get("PORTAL_ENV") == "production":
    raise ImproperlyConfigured(
        "The local eID provider is a DEMO: it does not run with PORTAL_ENV=production"
    )

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(
    os.environ.get("EID_PROVIDER_DATA_DIR") or BASE_DIR.parent / "var" / "eid-provider"
).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _kept(name: str, make) -> str:
    """A secret made on first start and kept in the data directory (owner-only)."""
    path = DATA_DIR / name
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(make())
    return path.read_text()


def _rsa_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


SECRET_KEY = _kept("secret_key", lambda: secrets.token_urlsafe(50))
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ISSUER = os.environ.get("EID_PROVIDER_ISSUER", "http://127.0.0.1:8792/o")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    # First: its templates (with the DEMO banner) replace django-oauth-toolkit's.
    "eid_provider",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "eid_provider.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The portal runs on the same host (another port) and browsers share cookies across ports:
# names of its own, or each site would overwrite the other's session.
SESSION_COOKIE_NAME = "eid_provider_session"
CSRF_COOKIE_NAME = "eid_provider_csrftoken"
SESSION_COOKIE_SAMESITE = "Lax"
STATIC_URL = "/static/"  # nothing is served from it: the pages carry their own styles
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
LANGUAGE_CODE = "vi"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _kept("oidc_rsa_private_key.pem", _rsa_key),
    "OIDC_ISS_ENDPOINT": ISSUER,
    "PKCE_REQUIRED": True,
    # S256 only: a "plain" challenge is the verifier itself.
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    # With a valid id_token_hint of the signed-in person, end the session without asking.
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    # A portal on a loopback address matches its registered redirect URI on any port (RFC 8252
    # §7.3), "localhost" included: Django's test server takes a free port on localhost.
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "OAUTH2_VALIDATOR_CLASS": "eid_provider.validator.CitizenClaimsValidator",
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Họ tên và số định danh cá nhân",
    },
    "DEFAULT_SCOPES": ["openid"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
    "ID_TOKEN_EXPIRE_SECONDS": 600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
