"""Settings for dvc-portal, read from the environment only (see .env.example).

Two shapes of the same module:
- nothing set: the quickstart (SQLite, Celery tasks run in-process, console email);
- DATABASE_URL and REDIS_URL set: PostgreSQL and Redis with Celery workers (production, CI).
PORTAL_ENV=production turns on every deployment safeguard and refuses to start without a real
SECRET_KEY.
"""

import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PORTAL_ENV = env.str("PORTAL_ENV", default="development")
if PORTAL_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("PORTAL_ENV must be 'development' or 'production'")
PRODUCTION = PORTAL_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on when PORTAL_ENV=production")

# Development mode serves loopback only (portal.devserver), unless this says a remote demo is meant.
DEV_ALLOW_REMOTE = env.bool("PORTAL_DEV_ALLOW_REMOTE", default=False)
_DEV_SECRET_KEY = "dev-insecure-only-for-the-quickstart-never-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured(
        "PORTAL_ENV=production needs SECRET_KEY: a random string of at least 50 characters"
    )
SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("PORTAL_ENV=production needs ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "portal.devserver",  # first: its runserver keeps development mode on loopback
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "axes",
    "portal",
    "procedures",
    "submissions",
    "payments",
    "feedback",
    "signing",
    "stats",
    "office",
    "demo",
]

MIDDLEWARE = [
    "portal.middleware.DevelopmentLoopbackMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.caching.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.ControlCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.sessions.SessionLimitsMiddleware",  # after messages: it says why a sign-in ended
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.HtmlContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: a locked account or address gets its page (portal.security).
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy on every HTML page (django-csp; portal.middleware): everything from the
# site itself, no inline script or style element anywhere (site.js is a file; the API docs use
# drf-spectacular's split Swagger view), images also as data: URLs (the QR codes), frames only
# of the site's own files (the PDF previews), no plugins, and no page may frame ours elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# Password accounts one client address may try to register per hour (portal.views.register).
REGISTRATIONS_PER_HOUR = env.int("REGISTRATIONS_PER_HOUR", default=10)
# portal.registration: the link that makes a password account (and confirms a changed address)
# is valid this long; a phone is confirmed by an SMS code valid PHONE_CODE_MINUTES, with at most
# PHONE_CODE_TRIES guesses per code and PHONE_CODES_PER_HOUR codes (or links) per account.
REGISTRATION_LINK_HOURS = env.int("REGISTRATION_LINK_HOURS", default=24)
PHONE_CODE_MINUTES = env.int("PHONE_CODE_MINUTES", default=10)
PHONE_CODE_TRIES = env.int("PHONE_CODE_TRIES", default=5)
PHONE_CODES_PER_HOUR = env.int("PHONE_CODES_PER_HOUR", default=5)

# /healthz: the status for everyone; which check failed and the engines behind it for these
# networks (and signed-in staff).
HEALTH_DETAIL_NETWORKS = env.list("HEALTH_DETAIL_NETWORKS", default=["127.0.0.0/8", "::1/128"])

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.languages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
if "DATABASE_URL" not in env:  # the quickstart: a SQLite file under var/
    (BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DB_CONNECT_TIMEOUT", default=3
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Clearing a Redis cache flushes its whole database: give the cache its own database number.
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)

if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "dvc",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery reads every CELERY_* setting below (see portal/celery.py).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_IGNORE_RESULT = True  # nobody waits on task results; a task that is read says so
# Celery's Django fix-up closes every database connection before and after each task unless
# told to reuse them: each task would then pay for a new PostgreSQL connection (a backend
# process forked). Workers keep them as CONN_MAX_AGE says instead, like web requests do
# (portal/celery.py closes the old or broken ones around each task).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # the quickstart runs tasks in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "signing.tasks.*": {"queue": "documents"},
    "portal.tasks.send_email_task": {"queue": "notifications"},
    "portal.tasks.send_sms_task": {"queue": "notifications"},
    "submissions.tasks.notify_*": {"queue": "notifications"},
    "payments.tasks.simulator_send_ipn_task": {"queue": "notifications"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A document whose lines are read as it renders (the register, Mẫu 06) may take far longer than
# a slip: 100,000 lines render in about 35 minutes on two cores (bench/RESULTS.md). Its task gets
# these limits instead of the ones above.
DOCUMENT_LONG_SOFT_TIME_LIMIT = env.int("DOCUMENT_LONG_SOFT_TIME_LIMIT", default=3 * 3600)
DOCUMENT_LONG_TIME_LIMIT = env.int("DOCUMENT_LONG_TIME_LIMIT", default=3 * 3600 + 300)
# Redis hands an unacknowledged task to another worker after this long (acks_late): longer than
# the longest task may run, or a long register would be rendered twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": max(3600, DOCUMENT_LONG_TIME_LIMIT + 600)}
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-documents": {
        "task": "signing.tasks.sweep_pending_documents_task",
        "schedule": 300.0,
    },
    "sweep-workflow": {
        "task": "submissions.tasks.sweep_workflow_task",
        "schedule": 300.0,
    },
    "reconcile-payments": {
        "task": "payments.tasks.reconcile_payments_task",
        "schedule": 300.0,
    },
    "daily-payment-report": {
        "task": "payments.tasks.daily_payment_report_task",
        "schedule": crontab(hour=1, minute=30),
    },
    "renew-archive-timestamps": {
        "task": "signing.tasks.renew_archive_timestamps_task",
        "schedule": crontab(hour=2, minute=15),
    },
    "warn-expiring-certificates": {
        "task": "signing.tasks.warn_expiring_certificates_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # The statistics' per-day counts (stats.aggregates): what changed, every few minutes; the
    # last STATS_REBUILD_DAYS days again each night.
    "refresh-statistics": {
        "task": "stats.tasks.refresh_statistics_task",
        "schedule": 60.0 * env.int("STATS_REFRESH_MINUTES", default=5),
    },
    "rebuild-recent-statistics": {
        "task": "stats.tasks.rebuild_recent_statistics_task",
        "schedule": crontab(hour=0, minute=45),
    },
}
STATS_REBUILD_DAYS = env.int("STATS_REBUILD_DAYS", default=40)
# The reports of procedures' results (stats.reports, Biểu số 06/VPCP/KSTT): a month runs from
# the day after this day of the month before to this day (14: 15/10-14/11, the cut-off of the
# periodic reports, README "Statistics"); 0: calendar months. Each agency's monthly report is
# made and signed on the day after the cut-off, after the night's rebuild of the counts.
STATS_REPORT_CUTOFF_DAY = env.int("STATS_REPORT_CUTOFF_DAY", default=14)
CELERY_BEAT_SCHEDULE["issue-monthly-reports"] = {
    "task": "stats.tasks.issue_monthly_reports_task",
    "schedule": crontab(day_of_month=STATS_REPORT_CUTOFF_DAY + 1, hour=2, minute=30),
}

# --- Auth --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked account or address before any password is checked.
    "portal.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "portal.permissions.RolePermissionBackend",
]
# --- National eID sign-in for citizens (issue 18; portal/eid/, README "National eID") --------
# VNeID (level 2) through the national single sign-on, over OpenID Connect: authorization code
# with PKCE (S256), ID token signed RS256 and checked against the provider's JWKS. Off while the
# issuer or the client ID is empty. Development defaults to the local DEMO provider
# (eid_provider/, started by `make run` on port 8792); production to off.
EID_OIDC_ISSUER = env.str(
    "EID_OIDC_ISSUER", default="" if PRODUCTION else "http://127.0.0.1:8792/o"
).rstrip("/")
EID_OIDC_CLIENT_ID = env.str("EID_OIDC_CLIENT_ID", default="" if PRODUCTION else "dvc-portal-dev")
EID_OIDC_CLIENT_SECRET = env.str(
    "EID_OIDC_CLIENT_SECRET",
    default="" if PRODUCTION else "DEMO-EID-CLIENT-SECRET-NOT-FOR-PRODUCTION",
)
# Each empty endpoint is read from the issuer's discovery document.
EID_OIDC_AUTHORIZATION_ENDPOINT = env.str("EID_OIDC_AUTHORIZATION_ENDPOINT", default="")
EID_OIDC_TOKEN_ENDPOINT = env.str("EID_OIDC_TOKEN_ENDPOINT", default="")
EID_OIDC_USER_ENDPOINT = env.str("EID_OIDC_USER_ENDPOINT", default="")
EID_OIDC_JWKS_ENDPOINT = env.str("EID_OIDC_JWKS_ENDPOINT", default="")
EID_OIDC_END_SESSION_ENDPOINT = env.str("EID_OIDC_END_SESSION_ENDPOINT", default="")
EID_OIDC_SCOPES = env.str("EID_OIDC_SCOPES", default="openid profile")
# The claims that carry the citizen ID number, the full name and the level of assurance (the
# national SSO's names are not confirmed here: configuration), and the lowest level accepted.
EID_OIDC_CLAIM_CITIZEN_ID = env.str("EID_OIDC_CLAIM_CITIZEN_ID", default="citizen_id")
EID_OIDC_CLAIM_NAME = env.str("EID_OIDC_CLAIM_NAME", default="name")
EID_OIDC_CLAIM_LEVEL = env.str("EID_OIDC_CLAIM_LEVEL", default="acr")
EID_OIDC_MIN_LEVEL = env.int("EID_OIDC_MIN_LEVEL", default=2)
EID_OIDC_TIMEOUT = env.float("EID_OIDC_TIMEOUT", default=10.0)
if PRODUCTION and EID_OIDC_ISSUER and not EID_OIDC_ISSUER.startswith("https://"):
    raise ImproperlyConfigured("EID_OIDC_ISSUER must be an https:// address in production")
# Off: citizens' password accounts no longer sign in (the login page sends them to VNeID and
# registration is closed); staff keep their password sign-in.
PASSWORD_LOGIN_CITIZENS = env.bool("PASSWORD_LOGIN_CITIZENS", default=True)
if not PASSWORD_LOGIN_CITIZENS and not (EID_OIDC_ISSUER and EID_OIDC_CLIENT_ID):
    raise ImproperlyConfigured(
        "PASSWORD_LOGIN_CITIZENS=false needs the eID sign-in (EID_OIDC_ISSUER, EID_OIDC_CLIENT_ID)"
    )
AUTHENTICATION_BACKENDS += ["portal.eid.backend.EidBackend"]
# --- end of the national eID block -----------------------------------------------------------

# Password guessing (portal.security, django-axes): per account and per client address, each
# locked after AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES or until an administrator
# unlocks it; the address is the portal's own rule (CLIENT_IP_HEADER), never a client's header.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "portal.security.username"
AXES_CLIENT_IP_CALLABLE = "portal.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.security.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages and time ------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]
LANGUAGE_COOKIE_NAME = "dvc_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SECURE = False  # True in production, below
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Working-day calendar (portal/workdays.py) -------------------------------------------------
# Office hours of a working day, as "HH:MM-HH:MM" blocks; 8 hours make one working day.
OFFICE_HOURS = env.list("OFFICE_HOURS", default=["07:30-11:30", "13:00-17:00"])
# Same-day procedures accepted after this time are due the next working day (Decree 23/2015).
SAME_DAY_CUTOFF = env.str("SAME_DAY_CUTOFF", default="15:00")
# How "N working days" is counted where an agency does not say (Agency.deadline_counting):
# "whole_days", the Civil Code's rule for periods in days (the day of receipt not counted; due
# at the close of the N-th working day after it), or "working_hours" (N x 8 office hours from
# the moment of receipt). See portal/workdays.py and the README.
DEADLINE_COUNTING = env.str("DEADLINE_COUNTING", default="whole_days")

# --- Static and media files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files live outside the web root and are served only by views that check
# who is asking (through nginx's X-Accel-Redirect when MEDIA_X_ACCEL_PREFIX is set).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_X_ACCEL_PREFIX = env.str("MEDIA_X_ACCEL_PREFIX", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Citizens' uploads: "local" (a folder outside the web root) or "s3" (any S3-compatible store,
# private objects, reached only through the portal's views; needs `pip install '.[s3]'`).
DOSSIER_STORAGE = env.str("DOSSIER_STORAGE", default="local")
if DOSSIER_STORAGE == "s3":
    STORAGES["dossiers"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("DOSSIER_S3_BUCKET"),
            "endpoint_url": env.str("DOSSIER_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("DOSSIER_S3_REGION", default="") or None,
            "access_key": env.str("DOSSIER_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("DOSSIER_S3_SECRET_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif DOSSIER_STORAGE == "local":
    # Under MEDIA_ROOT/dossiers/, which no URL serves (see submissions.views.download_file).
    STORAGES["dossiers"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("DOSSIER_STORAGE must be local or s3")
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Signed documents (signing/) ---------------------------------------------------------------
# Key-encryption key for the stored private keys: base64 of 32 random bytes. Required in
# production; in development it is derived from SECRET_KEY when unset.
SIGNING_KEK = env.str("SIGNING_KEK", default="")
if DEV_ALLOW_REMOTE and not PRODUCTION and (not SIGNING_KEK or SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured(
        "PORTAL_DEV_ALLOW_REMOTE=true serves a network in development mode: set SECRET_KEY and "
        "SIGNING_KEK (the development ones are public)"
    )
# The key it replaces, while `rotate_signing_kek` re-encrypts the stored keys.
SIGNING_KEK_OLD = env.str("SIGNING_KEK_OLD", default="")
SIGNING_DEMO_PKI_DIR = Path(env.str("SIGNING_DEMO_PKI_DIR", default=str(BASE_DIR / "var" / "pki")))
# Where the demo PKI's CRL, OCSP responder and timestamp authority answer (signing/pki_service.py,
# started by `make run`): the demo certificates point there. Empty: certificates without
# revocation pointers (production has no demo PKI; the test suite asks for them per test).
SIGNING_DEMO_PKI_URL = env.str(
    "SIGNING_DEMO_PKI_URL", default="" if PRODUCTION else "http://127.0.0.1:8790"
)
# An RFC 3161 timestamp server (signing.ltv): each signature gets a timestamp (PAdES B-T) and,
# with a certificate that points to its revocation services, the document its revocation data
# and a document timestamp (B-LTA). Without one, documents are B-B: verifiable only while their
# certificates are valid. In development, the demo PKI's.
SIGNING_TSA_URL = env.str(
    "SIGNING_TSA_URL", default=f"{SIGNING_DEMO_PKI_URL}/tsa" if SIGNING_DEMO_PKI_URL else ""
)
# With a TSA, the document timestamp over the DSS that makes a document B-LTA (renewed before its
# authority's certificate expires: signing.archive). Off: B-LT, valid long-term until the
# revocation data in its DSS can no longer be checked (the CA's own certificate expiring).
SIGNING_ARCHIVE_TIMESTAMP = env.bool("SIGNING_ARCHIVE_TIMESTAMP", default=True)
# PEM files of the roots that verification trusts (the demo root in development).
SIGNING_TRUST_ROOTS = env.list(
    "SIGNING_TRUST_ROOTS",
    default=[] if PRODUCTION else [str(SIGNING_DEMO_PKI_DIR / "demo-root.pem")],
)
# Documents still pending after this many minutes are re-enqueued by the sweeper.
SIGNING_SWEEP_AFTER_MINUTES = env.int("SIGNING_SWEEP_AFTER_MINUTES", default=10)
# Files checked on /verify/ per client address in ten minutes (each one is validated in full).
VERIFY_UPLOADS_PER_WINDOW = env.int("VERIFY_UPLOADS_PER_WINDOW", default=30)
# A B-LTA document's newest document timestamp is renewed this many days before its authority's
# certificate expires (signing.archive); agency administrators are told this many days before
# their signing certificate expires (signing.lifecycle).
SIGNING_ARCHIVE_RENEW_DAYS = env.int("SIGNING_ARCHIVE_RENEW_DAYS", default=90)
SIGNING_CERTIFICATE_WARN_DAYS = env.int("SIGNING_CERTIFICATE_WARN_DAYS", default=30)
# A document of many lines (the register) is rendered this many lines at a time (signing/render.py).
DOCUMENT_PART_LINES = 2000
if PRODUCTION and not SIGNING_KEK:
    raise ImproperlyConfigured("PORTAL_ENV=production needs SIGNING_KEK (see .env.example)")
# The leaders' personal signatures: the PKCS#11 module of their tokens (SoftHSM2 in the demo and
# the tests, whose tokens live in SIGNING_SOFTHSM_DIR unless SOFTHSM2_CONF says otherwise).
SIGNING_PKCS11_MODULE = env.str("SIGNING_PKCS11_MODULE", default="/usr/lib/softhsm/libsofthsm2.so")
SIGNING_SOFTHSM_DIR = Path(
    env.str("SIGNING_SOFTHSM_DIR", default=str(BASE_DIR / "var" / "softhsm"))
)
# A leader's key at a remote signing service (Cloud Signature Consortium API v2, signing/csc.py):
# how the portal logs in to it (basic: auth/login with CSC_USERNAME and CSC_PASSWORD;
# oauth2_client: the client credentials grant at CSC_TOKEN_URL, by default {service}/oauth2/token;
# none), and how long a call may take. The service URL and credential ID are per certificate.
CSC_AUTH = env.str("CSC_AUTH", default="basic")
if CSC_AUTH not in ("basic", "oauth2_client", "none"):
    raise ImproperlyConfigured("CSC_AUTH must be basic, oauth2_client or none")
CSC_USERNAME = env.str("CSC_USERNAME", default="" if PRODUCTION else "dvc-portal")
CSC_PASSWORD = env.str(
    "CSC_PASSWORD", default="" if PRODUCTION else "DEMO-CSC-PASSWORD-NOT-FOR-PRODUCTION"
)
CSC_CLIENT_ID = env.str("CSC_CLIENT_ID", default="")
CSC_CLIENT_SECRET = env.str("CSC_CLIENT_SECRET", default="")
CSC_TOKEN_URL = env.str("CSC_TOKEN_URL", default="")
CSC_TIMEOUT = env.float("CSC_TIMEOUT", default=10.0)
# The local CSC simulator (signing/csc_simulator.py, under /csc-simulator/) stands in for a
# remote signing service in development and tests; it checks the CSC_USERNAME/CSC_PASSWORD (or
# CSC_CLIENT_ID/CSC_CLIENT_SECRET) above. Production refuses it.
CSC_SIMULATOR = env.bool("CSC_SIMULATOR", default=not PRODUCTION)
if PRODUCTION and CSC_SIMULATOR:
    raise ImproperlyConfigured("CSC_SIMULATOR cannot be on with PORTAL_ENV=production")
CSC_SIMULATOR_URL = SITE_URL + "/csc-simulator/csc/v2"

# --- Dossiers (submissions/) -------------------------------------------------------------------
UPLOAD_MAX_FILE_MB = env.int("UPLOAD_MAX_FILE_MB", default=10)
UPLOAD_MAX_DOSSIER_MB = env.int("UPLOAD_MAX_DOSSIER_MB", default=50)
# Checked against the file's content, not its name: application/pdf, image/jpeg, image/png.
UPLOAD_ALLOWED_TYPES = env.list(
    "UPLOAD_ALLOWED_TYPES", default=["application/pdf", "image/jpeg", "image/png"]
)
# Larger images are refused before they are decoded (decompression bombs).
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=50_000_000)
# Public tracking: failed lookups allowed per client address and per dossier code in a window.
TRACKING_MAX_FAILURES = env.int("TRACKING_MAX_FAILURES", default=10)
TRACKING_WINDOW_MINUTES = env.int("TRACKING_WINDOW_MINUTES", default=15)

# --- Ratings and feedback (feedback/) ----------------------------------------------------------
# Working days an agency has to answer feedback (phản ánh, kiến nghị): the national portal
# counts 15 from receipt (see the README, "Ratings and feedback": the article is unconfirmed).
FEEDBACK_ANSWER_DAYS = env.int("FEEDBACK_ANSWER_DAYS", default=15)
# Feedback sendings per client address per hour (each may carry a file and mails its answer).
FEEDBACK_SENDS_PER_HOUR = env.int("FEEDBACK_SENDS_PER_HOUR", default=10)
# The request header that carries the client's address behind the reverse proxy (nginx sets
# X-Real-IP, see deploy/nginx.conf); empty to use the socket's address.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
# SMS to applicants: a class with send(phone, text); the default only logs the message.
SMS_BACKEND = env.str("SMS_BACKEND", default="portal.sms.LoggingBackend")
# Requests stream files to disk above this size instead of holding them in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# A citizen's drafts never submitted, at most (starting another asks to finish or delete one).
DOSSIER_MAX_OPEN_DRAFTS = env.int("DOSSIER_MAX_OPEN_DRAFTS", default=20)

# --- Online payment (payments/) ------------------------------------------------------------------
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="vnpay")
# The gateway's own addresses answer bad input in its protocol (an IPN gets its RspCode), so
# the control-character guard (portal.middleware) leaves them to their views.
PAYMENT_GATEWAY_PATHS = ["/api/v1/payments/vnpay/ipn/", "/payments/vnpay/return/"]
# The local gateway simulator (payments/simulator.py) stands in for VNPAY in development and
# tests. Production refuses it.
PAYMENT_SIMULATOR = env.bool("PAYMENT_SIMULATOR", default=not PRODUCTION)
if PRODUCTION and PAYMENT_SIMULATOR:
    raise ImproperlyConfigured("PAYMENT_SIMULATOR cannot be on with PORTAL_ENV=production")
_SIMULATOR_PATH = "/payments/simulator/"
_SIMULATOR = SITE_URL + "/payments/simulator"
# The terminal's code and secret from VNPAY, and its URLs (the simulator's by default).
VNPAY_TMN_CODE = env.str("VNPAY_TMN_CODE", default="" if PRODUCTION else "DVCDEMO1")
VNPAY_HASH_SECRET = env.str(
    "VNPAY_HASH_SECRET", default="" if PRODUCTION else "DEMO-SECRET-NOT-FOR-PRODUCTION-0001"
)
VNPAY_PAYMENT_URL = env.str(
    "VNPAY_PAYMENT_URL",
    default="https://pay.vnpay.vn/vpcpay.html"
    if PRODUCTION
    else _SIMULATOR + "/paymentv2/vpcpay.html",
)
VNPAY_API_URL = env.str(
    "VNPAY_API_URL",
    default="https://merchant.vnpay.vn/merchant_webapi/api/transaction"
    if PRODUCTION
    else _SIMULATOR + "/merchant_webapi/api/transaction",
)
# Without a terminal code and secret, online payment is off: dossiers say so instead of paying.
# An attempt expires at the gateway after this; pending attempts older than the timeout are
# settled by querying the gateway (reconciliation).
# The simulator signs with VNPAY_HASH_SECRET: it may run only where payments go to it, never
# beside a real VNPAY terminal (it could otherwise confirm payments nobody made).
if PAYMENT_SIMULATOR and _SIMULATOR_PATH not in VNPAY_PAYMENT_URL:
    raise ImproperlyConfigured("PAYMENT_SIMULATOR needs VNPAY_PAYMENT_URL to be the simulator's")
PAYMENT_EXPIRE_MINUTES = env.int("PAYMENT_EXPIRE_MINUTES", default=15)
PAYMENT_PENDING_TIMEOUT_MINUTES = env.int("PAYMENT_PENDING_TIMEOUT_MINUTES", default=20)
# The simulator notifies this merchant IPN address, after this delay for "pay, notify later".
PAYMENT_SIMULATOR_IPN_URL = env.str(
    "PAYMENT_SIMULATOR_IPN_URL", default=SITE_URL + "/api/v1/payments/vnpay/ipn/"
)
PAYMENT_SIMULATOR_IPN_DELAY = env.int("PAYMENT_SIMULATOR_IPN_DELAY", default=10)

# --- Email -------------------------------------------------------------------------------------
# EMAIL_URL: smtp+tls://user:password@host:587, consolemail://, or filemail:///absolute/dir
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
if EMAIL_CONFIG.get("EMAIL_FILE_PATH"):  # django-environ drops the leading "/" of the path
    EMAIL_CONFIG["EMAIL_FILE_PATH"] = "/" + EMAIL_CONFIG["EMAIL_FILE_PATH"].lstrip("/")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = EMAIL_CONFIG.get("EMAIL_FILE_PATH")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cổng DVC Giáo dục <noreply@dvc.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a request without credentials, or with a bad token, is answered 401
        # with `WWW-Authenticate: Token` (the first class names the challenge), not 403.
        "portal.sessions.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Every operation's errors, one error shape, the dossier's lifecycle as links (portal.schema).
    "DEFAULT_SCHEMA_CLASS": "portal.schema.PortalAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.PagePagination",
    "PAGE_SIZE": 20,
    # The services' refusals (PermissionDenied, ValidationError) answered in one place.
    "EXCEPTION_HANDLER": "portal.errors.api_exception_handler",
    # Per user on the authenticated API (portal.throttling): reads, writes, file uploads.
    "DEFAULT_THROTTLE_CLASSES": ["portal.throttling.UserActionThrottle"],
    # REST framework's parsers, refusing control characters (portal.controls).
    "DEFAULT_PARSER_CLASSES": [
        "portal.parsers.JSONParser",
        "portal.parsers.FormParser",
        "portal.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("API_AUTH_THROTTLE", default="10/min"),
        "anon": env.str("API_ANON_THROTTLE", default="60/min"),
        "user_reads": env.str("API_USER_READS_THROTTLE", default="600/min"),
        "user_writes": env.str("API_USER_WRITES_THROTTLE", default="120/min"),
        "user_uploads": env.str("API_USER_UPLOADS_THROTTLE", default="60/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dvc-portal API",
    "DESCRIPTION": "Online public services of the education sector: catalogue, dossiers, "
    "documents.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request and response components apart, so a file part is declared as binary.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.schema.add_links",
        "portal.schema.forbid_control_characters",
        "portal.schema.declare_server_limits",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ----------------------------------------------------------------------------------
# How long a sign-in lasts (portal.sessions): a citizen's session, a staff member's idle time
# (and at most until the end of the day), an API token.
CITIZEN_SESSION_HOURS = env.int("CITIZEN_SESSION_HOURS", default=12)
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=30)
API_TOKEN_HOURS = env.int("API_TOKEN_HOURS", default=24)
SESSION_COOKIE_AGE = CITIZEN_SESSION_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # the API docs page reads it to send writes
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"weasyprint": {"level": "ERROR"}, "fontTools": {"level": "WARNING"}},
}

# --- Second factor for staff (issue 18; django-otp; portal/second_factor.py) ---------------------
# Kept in this one block. Superusers, admin-site users and officers pass a second factor (an
# authenticator app, TOTP, or one of ten recovery codes) after their password: until then their
# session reaches only the second-factor pages (StaffSecondFactorMiddleware, after django-otp's
# OTPMiddleware), and the token API issues them a token only with a current code.
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
# After UserLanguageMiddleware: the refusal is in the user's own language.
MIDDLEWARE.insert(
    MIDDLEWARE.index("portal.middleware.UserLanguageMiddleware") + 1,
    "portal.middleware.StaffSecondFactorMiddleware",
)
OTP_REQUIRED_FOR_STAFF = env.bool("OTP_REQUIRED_FOR_STAFF", default=True)
if PRODUCTION and not OTP_REQUIRED_FOR_STAFF:
    raise ImproperlyConfigured("OTP_REQUIRED_FOR_STAFF cannot be off with PORTAL_ENV=production")
# The name the authenticator app shows beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Cổng DVC Giáo dục")
# After n wrong codes in a row, a device refuses every code for factor x 2^(n-1) seconds.
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_THROTTLE_FACTOR", default=1)
OTP_STATIC_THROTTLE_FACTOR = OTP_TOTP_THROTTLE_FACTOR
