"""Rebond settings: one module, driven by environment variables.

Defaults are for a laptop with nothing installed (SQLite file, in-memory channel layer,
media on disk). ``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to the Redis channel
layer, and ``DJANGO_ENV=production`` turns on the secure settings. Secrets may also be given
as ``<NAME>_FILE`` pointing at a file (Docker/Kubernetes secrets).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read ``name`` from the environment, or from the file named by ``name_FILE``."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value is None:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


PRODUCTION = env("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "frontend",  # first, so its sign-in and password templates win over the admin's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "csp",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "inventory",
    "exchange",
    "pooling",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.proconnect.ProConnectCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "api.errors.ApiErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

#
# Database
#
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A pool of connections per process (Django's psycopg pool). Under ASGI each request runs
        # in a thread of its own, so a persistent connection (CONN_MAX_AGE) was never reused:
        # every request opened a connection (about 5 ms) and left it open until the thread was
        # collected, dozens at once under load (tests/config/test_database_pool.py).
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1, "max_size": int(env("DJANGO_DB_POOL_SIZE", "10")), "timeout": 10,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("DJANGO_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # Writers take SQLite's write lock when the transaction starts, so the
                # quantity check and the insert of a claim cannot interleave (select_for_update
                # is a no-op on SQLite). WAL lets readers carry on meanwhile.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

#
# Channels
#
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "api.layers.RedisLayer",  # channels_redis, with a pool that waits
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "api.layers.EmbeddedChannelLayer"}}

#
# Cache: the sign-in lock-out and the API throttles count there. The default (local memory)
# is per process, which is right for the one Uvicorn process of the embedded stack; with
# several server processes, point them all at one Redis database so that the counts add up.
#
CACHE_URL = env("DJANGO_CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": CACHE_URL}}  # one pool per process

#
# Tasks: in-process by default; the database queue (manage.py db_worker) in production.
#
TASKS = {
    "default": {
        "BACKEND": env(
            "DJANGO_TASKS_BACKEND",
            "django_tasks_db.DatabaseBackend" if PRODUCTION else "django_tasks.backends.immediate.ImmediateBackend",
        )
    }
}

#
# Authentication
#
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Passwords, and ProConnect (accounts.proconnect) where it is configured.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "accounts.proconnect.ProConnectBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 60 * 60 * 12  # a working day; staff sign in again the next morning
# Facilities share computers (a school office, a care home's nursing station): the session
# cookie dies with the browser, and the server forgets the session after SESSION_COOKIE_AGE
# in any case (browsers that restore tabs may keep the cookie; the 12 hours still apply).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# ProConnect (OpenID Connect) sign-in for public agents: on when the three are given.
# The provider's endpoints and keys come from its discovery document (fetched when needed,
# cached an hour). An ``http`` provider is accepted on a loopback address with DEBUG only.
PROCONNECT_DISCOVERY_URL = env("PROCONNECT_DISCOVERY_URL", "")
PROCONNECT_CLIENT_ID = env("PROCONNECT_CLIENT_ID", "")
PROCONNECT_CLIENT_SECRET = env("PROCONNECT_CLIENT_SECRET", "")
PROCONNECT_ACR_VALUES = env("PROCONNECT_ACR_VALUES", "eidas1")

# The site's public address (``https://rebond.example/``): links in e-mails (invitations,
# password resets) and the OpenID Connect return address are built from it, never from the
# request's Host header. Required in production (a deployment check).
SITE_URL = env("DJANGO_SITE_URL", "")

#
# Internationalisation: French first, English complete.
#
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

#
# Static and media files
#
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
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
WHITENOISE_USE_FINDERS = not PRODUCTION

# Photos and transfer records go to an S3-compatible bucket (Scaleway, OVHcloud, Outscale,
# MinIO, ...) when REBOND_S3_BUCKET is set, so that several app servers share them; in the
# local folder MEDIA_ROOT otherwise. Either way they are served only through the app (see
# config/storage.py): objects stay private in the bucket.
S3_BUCKET = env("REBOND_S3_BUCKET", "")


def s3_storage(bucket: str) -> dict:
    """The ``STORAGES`` entry for ``bucket``, read from the REBOND_S3_* variables."""
    return {
        "BACKEND": "config.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env("REBOND_S3_ENDPOINT_URL") or None,
            "region_name": env("REBOND_S3_REGION") or None,
            "access_key": env("REBOND_S3_ACCESS_KEY_ID") or None,
            "secret_key": env("REBOND_S3_SECRET_ACCESS_KEY") or None,
            "location": env("REBOND_S3_PREFIX", ""),
            "addressing_style": env("REBOND_S3_ADDRESSING_STYLE") or None,  # "path" for MinIO
            "default_acl": None,  # the bucket's default: private
            "querystring_auth": True,  # never an unsigned bucket URL
            "file_overwrite": False,  # a name already taken gets a suffix, as on disk
            # Objects read back (photos streamed by /media/) spill to a temporary file past this.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }


if S3_BUCKET:
    STORAGES["default"] = s3_storage(S3_BUCKET)

# Uploads: photos are capped at 15 MB by the photo pipeline; the request may carry a
# little more (form fields) before Django itself refuses it.
PHOTO_MAX_BYTES = 15 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024 + 512 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

#
# E-mail: sent by SMTP when DJANGO_EMAIL_HOST is given, printed on the console otherwise
# (a console, file, in-memory or dummy backend is a deployment check error in production).
#
EMAIL_HOST = env("DJANGO_EMAIL_HOST", "")
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = int(env("DJANGO_EMAIL_PORT", "587"))
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", not env_bool("DJANGO_EMAIL_USE_SSL", False))
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", "Rebond <ne-pas-repondre@rebond.example>")

#
# Django REST framework
#
REST_FRAMEWORK = {
    # Token first: an unauthenticated API request then gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.ORJSONRenderer",  # DRF's JSON, written by orjson
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "api.parsers.FormParser",
        "api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # The client address for the anonymous throttle is REMOTE_ADDR, never X-Forwarded-For
    # (which anyone can send): behind a proxy, Uvicorn's --proxy-headers and
    # --forwarded-allow-ips put the real client in REMOTE_ADDR (docs/security.md).
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("DJANGO_API_RATE_ANON", "120/minute"),
        "user": env("DJANGO_API_RATE_USER", "1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rebond API",
    "DESCRIPTION": "Reuse and pooling of equipment between public facilities.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page loads Swagger UI from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Bookings' statuses appear in several components (bookings, availability): one name.
    "ENUM_NAME_OVERRIDES": {"BookingStatusEnum": "pooling.models.Booking.Status"},
}

# API tokens (django-rest-knox, accounts.tokens): hashed, expiring a week after their last
# use, never living beyond 90 days; bound to the password they were issued under.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=int(env("REBOND_API_TOKEN_DAYS", "7"))),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=int(env("REBOND_API_TOKEN_MAX_DAYS", "90"))),
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}

# Sign-in lock-out (inventory.lockout), shared by the sign-in page, /admin/login/ and the
# token endpoint. Failures count per (username, address), per username from any address
# (higher, so that one username under attack is locked within 15 tries), and per address (generous:
# a school or care home puts its staff behind one address). A browser that signed in to an
# account before carries a device cookie: its attempts for that account count on the device
# alone, so someone else's guesses do not lock it out (OWASP "device cookies").
LOCKOUT_WINDOW_SECONDS = 15 * 60
LOCKOUT_MAX_FAILURES_PER_USERNAME_AND_ADDRESS = 10
LOCKOUT_MAX_FAILURES_PER_USERNAME = 15
LOCKOUT_MAX_FAILURES_PER_ADDRESS = 100
LOCKOUT_MAX_FAILURES_PER_DEVICE = 10
LOCKOUT_DEVICE_COOKIE_DAYS = 365

#
# Security
#
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
# Content Security Policy: our own scripts and styles only — no inline script, no eval
# (htmx runs with allowEval off), no framing. Photo previews before upload are blob: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    # Behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto; only trust
    # this header when the proxy strips it from client requests.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer checks each worker over plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

#
# Rebond
#
# Demo and seed data, copied from shared/data with their sources.
DATA_DIR = BASE_DIR / "data"
# Approved claims not collected (nor scheduled) within this many days expire (manage.py expire).
# (the département's managers may override it on their settings page: inventory.SiteSettings).
REBOND_CLAIM_EXPIRY_DAYS = int(env("REBOND_CLAIM_EXPIRY_DAYS", "14"))
# Invitation links expire after this many days.
REBOND_INVITATION_DAYS = int(env("REBOND_INVITATION_DAYS", "7"))
# Internal-first release: during this many days after publication only public bodies and
# establishments may claim a public giver's item, then partner associations as long again
# (an organisation's own ``internal_first_days`` wins). 0: no window.
REBOND_INTERNAL_FIRST_DAYS = int(env("REBOND_INTERNAL_FIRST_DAYS", "0"))

# Lists count their rows exactly up to this many, then say "more than" (inventory.pagination):
# a page never pays for a count of the whole table.
REBOND_EXACT_COUNT_LIMIT = int(env("REBOND_EXACT_COUNT_LIMIT", "10000"))

# The address people reach Rebond at (``https://rebond.example.fr``), for links that leave the
# site: the QR labels of shared equipment. Empty: taken from the request that prints them.
REBOND_SITE_URL = env("DJANGO_SITE_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint logs each step of each PDF at INFO; its warnings and errors still show.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# The coordinator's day (exchange.planning): road distances are great-circle × this factor at
# this average speed unless an OSRM server is configured (its /table service; a timeout or an
# error falls back to the great circle). Each stop takes REBOND_STOP_MINUTES on site.
REBOND_ROAD_FACTOR = float(env("REBOND_ROAD_FACTOR", "1.3"))
REBOND_ROAD_SPEED_KMH = float(env("REBOND_ROAD_SPEED_KMH", "25"))
REBOND_OSRM_URL = env("REBOND_OSRM_URL", "")
REBOND_OSRM_TIMEOUT = float(env("REBOND_OSRM_TIMEOUT", "3"))
REBOND_STOP_MINUTES = int(env("REBOND_STOP_MINUTES", "15"))
# The solver's search time (seconds): guided local search improves the routes until then.
REBOND_PLANNER_SECONDS = float(env("REBOND_PLANNER_SECONDS", "1"))

# Web Push (VAPID, RFC 8292): `manage.py create_vapid_keys` makes a key pair. The private key
# is the base64url of the raw P-256 scalar, the public key the base64url of the
# uncompressed point; the subject is a mailto: or https: contact for push services.
REBOND_VAPID_PRIVATE_KEY = env("REBOND_VAPID_PRIVATE_KEY", "")
REBOND_VAPID_PUBLIC_KEY = env("REBOND_VAPID_PUBLIC_KEY", "")
REBOND_VAPID_SUBJECT = env("REBOND_VAPID_SUBJECT", "mailto:ne-pas-repondre@rebond.example")
REBOND_PUSH_TIMEOUT = float(env("REBOND_PUSH_TIMEOUT", "10"))

#
# Legal notice, privacy notice and accessibility statement (frontend.legal): who publishes the
# service. The defaults describe the demo département; each deployment sets its own.
#
REBOND_LEGAL_EDITOR = env("REBOND_LEGAL_EDITOR", "Département du Val-de-Marne")
REBOND_LEGAL_EDITOR_ADDRESS = env("REBOND_LEGAL_EDITOR_ADDRESS", "Hôtel du Département, avenue du Général de "
                                  "Gaulle, 94054 Créteil Cedex")
REBOND_LEGAL_DIRECTOR = env("REBOND_LEGAL_DIRECTOR", "Le Président du Conseil départemental")
REBOND_LEGAL_HOST = env("REBOND_LEGAL_HOST", "Direction des systèmes d'information du Département, "
                        "Hôtel du Département, 94054 Créteil Cedex")
REBOND_LEGAL_CONTACT = env("REBOND_LEGAL_CONTACT", "rebond@valdemarne.example")
REBOND_DPO_CONTACT = env("REBOND_DPO_CONTACT", "dpo@valdemarne.example")
REBOND_ACCESSIBILITY_CONTACT = env("REBOND_ACCESSIBILITY_CONTACT", "accessibilite@valdemarne.example")
