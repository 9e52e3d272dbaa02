"""Settings for the partner portal, read from the environment (django-environ).

Every variable is listed with its default in the README's configuration table. Defaults are
the safe production values: DEBUG off, secure cookies, HSTS. `make run` turns DEBUG on for
local use.
"""

from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else "dev-only-insecure-key")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for local development).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "bootstrap",
    "fontawesomefree",
    "partnerportal",
]
# The portal's feature apps, each mounted at /<app>/ (partnerportal/urls.py). A deployment
# may leave one out, e.g. PORTAL_APPS=csat,leads,support without the call center.
PORTAL_APPS = env.list("PORTAL_APPS", default=["csat", "contacts", "support", "leads"])
INSTALLED_APPS += PORTAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "partnerportal.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "partnerportal.middleware.CurrentOrganisationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A page over its django-ratelimit limit answers 429 (partnerportal.throttling).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes requirement).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "partnerportal.urls"
WSGI_APPLICATION = "partnerportal.wsgi.application"

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
                "csp.context_processors.nonce",
                "partnerportal.context_processors.portal",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# PostgreSQL only. `make run` / `make test` start a private server (pgserver) and set
# DATABASE_URL when it is not set; docker compose, CI and production set it themselves.
DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/partnerportal")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("The partner portal runs on PostgreSQL only.")
# A unix-socket host arrives percent-encoded in the URL (postgres://u@%2Fpath%2Fto/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"])
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_partnerportal")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://"),
}

# --- Authentication ---------------------------------------------------------------------
AUTH_USER_MODEL = "partnerportal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day

# Sessions end after SESSION_IDLE_TIMEOUT seconds without a request (sliding window). The
# window slides when a request comes more than SESSION_REFRESH_INTERVAL seconds after the last
# save (partnerportal.middleware.SlidingSessionMiddleware), not on every request: a session is
# read from the cache and written at most once per interval. Sessions live in the database and
# are read through the cache (CACHE_URL: Redis in production).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=60 * 60 * 8)
SESSION_REFRESH_INTERVAL = env.int("SESSION_REFRESH_INTERVAL", default=5 * 60)
SESSION_SAVE_EVERY_REQUEST = False

# django-axes: lock a username+IP pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The login form posts the e-mail in the field named "username".
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Reverse proxies in front (load balancer, ingress): the client address is read from
# X-Forwarded-For past them (partnerportal.throttling.client_ip).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "partnerportal.throttling.client_ip"

# --- Security ---------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and the container health check probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# Public pages are limited per client address (django-ratelimit; the cache must be shared by
# every web process, e.g. CACHE_URL=redis://..., or each process counts on its own).
RATELIMIT_IP_META_KEY = "partnerportal.throttling.client_ip"
RATELIMIT_VIEW = "partnerportal.throttling.too_many_requests"

# No inline scripts or styles anywhere: every script is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# The 34 languages of the CSAT survey programme, and so of the whole portal.
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
    ("hr", "Hrvatski"),
    ("cs", "Čeština"),
    ("da", "Dansk"),
    ("nl", "Nederlands"),
    ("en-gb", "English (UK)"),
    ("en", "English (US)"),
    ("et", "Eesti"),
    ("fi", "Suomi"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("el", "Ελληνικά"),
    ("he", "עברית"),
    ("hu", "Magyar"),
    ("id", "Bahasa Indonesia"),
    ("it", "Italiano"),
    ("ja", "日本語"),
    ("ko", "한국어"),
    ("lv", "Latviešu"),
    ("lt", "Lietuvių"),
    ("nb", "Norsk bokmål"),
    ("pl", "Polski"),
    ("pt-br", "Português (Brasil)"),
    ("pt", "Português (Portugal)"),
    ("ro", "Română"),
    ("ru", "Русский"),
    ("sk", "Slovenčina"),
    ("sl", "Slovenščina"),
    ("es-419", "Español (Latinoamérica)"),
    ("es", "Español (España)"),
    ("sv", "Svenska"),
    ("th", "ไทย"),
    ("tr", "Türkçe"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / ".var" / "media"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail -----------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587 ; consolemail:// in development.
vars().update(env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Partner Portal <no-reply@partnerportal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How often a failed delivery is retried before the mail is marked failed.
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=5)
# Seconds a worker's claim on a mail lasts: longer than the send task's hard time limit, so
# an older claim belongs to a worker that died mid-send and the sweep sends the mail again.
MAIL_CLAIM_LEASE = env.int("MAIL_CLAIM_LEASE", default=900)
# Retry backoff in seconds: doubles from MAIL_RETRY_BACKOFF up to MAIL_RETRY_BACKOFF_MAX, which
# stays within the claim lease and far below the broker's visibility timeout (Celery below).
MAIL_RETRY_BACKOFF = env.float("MAIL_RETRY_BACKOFF", default=30.0)
MAIL_RETRY_BACKOFF_MAX = env.float("MAIL_RETRY_BACKOFF_MAX", default=900.0)

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# With no broker, tasks run in-process so the portal works without Redis.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 270
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Retries back off well below this, so a message is never redelivered while still retrying.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# Every periodic job is a service function, called by this schedule and by a management
# command of the same name (README: "Periodic jobs").
CELERY_BEAT_SCHEDULE = {
    "send-queued-mail": {
        "task": "partnerportal.tasks.send_queued_mail",
        "schedule": 300.0,
    },
    "expire-invitations": {
        "task": "partnerportal.tasks.expire_invitations",
        "schedule": crontab(minute=15, hour=3),
    },
}
if "csat" in PORTAL_APPS:
    CELERY_BEAT_SCHEDULE.update(
        {
            "csat-send-due-invitations": {"task": "csat.tasks.send_due_invitations", "schedule": 600.0},
            "csat-send-due-reminders": {"task": "csat.tasks.send_due_reminders", "schedule": crontab(minute=0)},
            "csat-send-monthly-reports": {
                "task": "csat.tasks.send_monthly_reports",
                "schedule": crontab(minute=0, hour=6, day_of_month=1),
            },
            "csat-refresh-compliance": {
                "task": "csat.tasks.refresh_compliance",
                "schedule": crontab(minute=30, hour="*/6"),
            },
            "csat-refresh-benchmark": {"task": "csat.tasks.refresh_benchmark", "schedule": crontab(minute=45)},
        }
    )
if "support" in PORTAL_APPS:
    CELERY_BEAT_SCHEDULE.update(
        {"run-collections": {"task": "support.tasks.run_collections", "schedule": crontab(minute=30, hour=5)}}
    )
if "leads" in PORTAL_APPS:
    CELERY_BEAT_SCHEDULE.update(
        {
            # Every quarter hour: a lead expires at most 15 minutes after its 14 days are up.
            "expire-leads": {"task": "leads.tasks.expire_leads", "schedule": crontab(minute="*/15")},
            "send-lead-nudges": {"task": "leads.tasks.send_lead_nudges", "schedule": crontab(minute=35)},
        }
    )

# --- Logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Site-wide names shown in the layout and e-mails.
PORTAL_NAME = _("Partner Portal")
