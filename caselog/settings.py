"""Settings for caselog: one file, read from the environment.

Every value has a development default that needs no configuration; production
sets DJANGO_DEBUG=0 and a real DJANGO_SECRET_KEY (see .env.example).
"""

from datetime import timedelta
from pathlib import Path
from typing import Literal

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

import caselog.sqlite
from caselog.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    mailer_from_environment,
    proxy_ssl_header,
)
from caselog.scaleout import (
    cache_from_environment,
    login_throttle_handler,
    rq_queues_from_environment,
    session_engine_from_environment,
    storage_from_environment,
    tasks_from_environment,
)
from correspondence.limits import MAX_FIELDS_BYTES, MAX_FILES_PARSED

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
# Former keys, comma-separated, kept after a rotation: sessions, reset links and the
# sealed content of queued e-mails (background.mail) made with them still open.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", [])
DEBUG = env_bool("DJANGO_DEBUG", True)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off but DJANGO_SECRET_KEY is the development key: set a real secret."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "caselog.apps.CaselogAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    "django_tasks_db",
    "cases",
    "correspondence",
    "background",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A NUL in the address or headers: refused before the session or a view reads it.
    "caselog.middleware.NullCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "caselog.middleware.PrivatePagesMiddleware",
    "caselog.middleware.UserLanguageMiddleware",
    "caselog.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "caselog.middleware.RequestTooLargeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "caselog.urls"
WSGI_APPLICATION = "caselog.wsgi.application"
ASGI_APPLICATION = "caselog.asgi.application"

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
                "cases.attention.attention",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite is the embedded default. WAL lets readers run beside the one writer;
# IMMEDIATE takes the write lock when a transaction starts, so two writers
# queue on busy_timeout instead of failing half-way with "database is locked".
# Any number of processes share the file (runserver, the worker, commands): no
# connection deletes the WAL when it closes (caselog/sqlite.py says why), and
# journal_size_limit trims the WAL left beside the database after a checkpoint.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "factory": caselog.sqlite.Connection,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA journal_size_limit=67108864;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;"
        "PRAGMA mmap_size=134217728;"
        "PRAGMA cache_size=-65536;"
    ),
}
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "cases.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:list"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The throttle goes first: it refuses a locked-out user+IP before any password check.
AUTHENTICATION_BACKENDS = [
    "caselog.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# A session lasts at most 12 hours (server side), and its cookie ends with the
# browser. No idle timeout by saving the session on every request: that would
# turn every page view into a database write.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Login throttling (django-axes) -----------------------------------------
# Five wrong passwords for one e-mail from one IP address lock that pair out for
# 15 minutes; the same e-mail from elsewhere, and other users, can still log in.
AXES_FAILURE_LIMIT = env_int("CASELOG_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CASELOG_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "caselog.auth.throttle_username"
AXES_LOCKOUT_CALLABLE = "caselog.auth.lockout_response"  # registration/locked_out.html
AXES_VERBOSE = False

# --- Languages and time ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["caselog.formats"]
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Attachments live outside any public URL: MEDIA_URL is deliberately unset and
# files are only served by the access-checked download view.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    # Attachments: the filesystem under MEDIA_ROOT, or an S3-compatible store
    # (CASELOG_STORAGE_BACKEND=s3, see storage_from_environment and docs/deploy.md).
    "default": storage_from_environment(),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# --- Sessions and cache ---------------------------------------------------
# CACHE_URL: redis://host:6379/0 (Django's RedisCache; pip install ".[redis]"),
# locmem:// (default: one cache per process) or dummy://.
CACHES = {"default": cache_from_environment()}
# Sessions: "db" (default), "cache" or "cached_db". Several app servers need the
# database or a shared cache (CACHE_URL=redis://…), never a per-process one.
SESSION_ENGINE = session_engine_from_environment(
    shared_cache=CACHES["default"]["BACKEND"].endswith("RedisCache"), debug=DEBUG
)
# Failed logins (django-axes): the database by default, or the shared Redis cache
# (CASELOG_LOGIN_THROTTLE_STORE=cache) so a lockout holds on every node.
AXES_HANDLER = login_throttle_handler(
    shared_cache=CACHES["default"]["BACKEND"].endswith("RedisCache")
)

# Uploads above this size are streamed to a temporary file, not held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- E-mail and background tasks ---------------------------------------------
# No request talks to the mail server: the default mailer queues each e-mail as
# a task (background/mail.py) and the worker (`manage.py run_worker`) sends it
# through "outgoing", built from EMAIL_URL or the usual EMAIL_HOST/... variables
# (default: the console), retrying for a day. See docs/deploy.md.
MAILERS = {
    "default": {"BACKEND": "background.mail.QueuedEmailBackend"},
    "outgoing": mailer_from_environment(),
}
# The queue: this database (django-tasks-db) by default; TASKS_BACKEND=rq keeps it
# in Redis (RQ_URL) for several worker machines.
TASKS = tasks_from_environment()
RQ_QUEUES = rq_queues_from_environment()
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    INSTALLED_APPS.append("django_rq")
# A task running longer than this was left by a killed worker: it is run again.
CASELOG_TASK_STALLED_AFTER = env_int("CASELOG_TASK_STALLED_AFTER", 15 * 60, minimum=60)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Seller Support <no-reply@caselog.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Forms ----------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------
# A strict Content Security Policy: no inline scripts or styles anywhere, only
# files this site serves. Pages and the admin are built to work under it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The language cookie as the session's: no script reads it, sent only from this site.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE: Literal["Lax"] = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # A header that says "this request came over HTTPS" is only worth trusting when
    # a proxy in front sets it and strips what clients send: the operator names it
    # (`DJANGO_SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto`), nothing is trusted by default.
    SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env_str("DJANGO_SECURE_PROXY_SSL_HEADER", ""))
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    # Both bind more than this site (every subdomain; browsers' built-in lists, slow
    # to leave): an operator's opt-in, off by default.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
    # `check --deploy` warns when either is off (W005, W021); off is the safe default
    # here, not an oversight, so those two warnings alone are silenced.
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# --- Logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")},
}

# --- The product ----------------------------------------------------------
CASELOG_SUPPORT_EMAIL = env_str("CASELOG_SUPPORT_EMAIL", "support@caselog.example")
CASELOG_EXPIRE_AFTER_DAYS = env_int("CASELOG_EXPIRE_AFTER_DAYS", 30, minimum=1)
CASELOG_MAX_ATTACHMENT_MB = env_int("CASELOG_MAX_ATTACHMENT_MB", 10, minimum=1)
# The conversation: a case waiting on the seller ("Answered", "Needs your attention")
# with no seller message for this many days is resolved by `run_case_timers`,
# after a reminder e-mail this many days before.
CASELOG_AUTO_RESOLVE_AFTER_DAYS = env_int("CASELOG_AUTO_RESOLVE_AFTER_DAYS", 7, minimum=1)
CASELOG_REMINDER_BEFORE_DAYS = env_int("CASELOG_REMINDER_BEFORE_DAYS", 2, minimum=0)
# Seller e-mails carry the text of the support message (never its files).
CASELOG_EMAIL_INCLUDES_MESSAGE = env_bool("CASELOG_EMAIL_INCLUDES_MESSAGE", True)
# Absolute links in notification e-mails are built from this address. In
# production a wrong default would send every recipient to 127.0.0.1: required.
CASELOG_SITE_URL = env_str("CASELOG_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
if not CASELOG_SITE_URL:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off but CASELOG_SITE_URL is not set: set the address users reach "
        "the site at (for example https://cases.example.com); e-mails link to it."
    )

# What a message may carry (`correspondence.limits`) sets what a request body may hold:
# the form fields other than files (files stream to disk, FILE_UPLOAD_MAX_MEMORY_SIZE),
# and a few more files than a message carries, so the form can say how many.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_FIELDS_BYTES
DATA_UPLOAD_MAX_NUMBER_FILES = MAX_FILES_PARSED
