"""Settings for the Liaoning achievements registry.

Every value that differs between machines comes from the environment, read in one place (``env``)
with a safe development default. The same code runs in development and production: only the
environment changes.

- ``DATABASE_URL``: default is a SQLite file in the project folder; ``postgres://...`` in production.
- ``CELERY_BROKER_URL``: empty by default, which runs tasks eagerly in-process; ``redis://...`` in
  production.
- ``SECRET_KEY``: a development default is used only while ``DEBUG`` is on.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (DEBUG=0).")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "csp",
    "core",
    "accounts",
    "notifications",
    "achievements",
    "reviews",
    "reports",
    "pilots",
    "incentives",
    "exchange",
    "dashboards",
    "home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liaoning_tt.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "liaoning_tt.wsgi.application"
ASGI_APPLICATION = "liaoning_tt.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default takes concurrent writers: WAL lets readers go on while one writes; a
    # writer waits up to SQLITE_BUSY_TIMEOUT seconds for the lock instead of failing; IMMEDIATE makes
    # every transaction take the write lock when it begins, so a transaction that has read can never
    # be refused its upgrade to a write ("database is locked" without waiting).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.float("SQLITE_BUSY_TIMEOUT", default=20.0),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Test databases are created UTF-8 with a UTF-8 character type so that pg_trgm sees Chinese.
    DATABASES["default"]["TEST"] = {"TEMPLATE": "template0", "CHARSET": "UTF8"}
    # No JIT compiling on the site's connections (DATABASE_PG_OPTIONS replaces the options; options
    # in DATABASE_URL win): the estimates of the list queries over a million rows are high while the
    # queries stop after a page or a capped count, so compiling cost more than it saved (139 ms in a
    # 470 ms contract search at 1M/3M). See docs/operations.md.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", env.str("DATABASE_PG_OPTIONS", default="-c jit=off")
    )

# One cache per process by default; production sets CACHE_URL (e.g. redis://redis:6379/1) so that web
# processes and workers share it (import progress, statistics answers keyed by snapshot revision).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The cache is optional: short timeouts, Redis errors read as misses (core/cache.py).
    CACHES["default"]["BACKEND"] = "core.cache.DegradingRedisCache"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Internationalisation: Simplified Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries installed by `npm install` (package.json) are served from node_modules (no CDN).
STATICFILES_DIRS = [BASE_DIR / "static", ("echarts", BASE_DIR / "node_modules" / "echarts" / "dist")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE", default="whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"

# Celery: no broker configured means tasks run eagerly in-process (development, make run, tests).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A broker that accepts connections but never answers must not hang a web request.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=3.0),
    "socket_connect_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=3.0),
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# The request path (a save queueing its recompute) waits at most about twice this for the broker,
# and never retries (core/broker.py); the work stays durable in the database (DirtyCell).
CELERY_PUBLISH_TIMEOUT = env.float("CELERY_PUBLISH_TIMEOUT", default=0.3)
# /healthz/: how long to wait for the broker, and how old the last worker heartbeat may be (seconds).
HEALTH_BROKER_TIMEOUT = env.float("HEALTH_BROKER_TIMEOUT", default=2.0)
HEALTH_WORKER_MAX_AGE = env.int("HEALTH_WORKER_MAX_AGE", default=180)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes unauthenticated requests answer 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.api.permissions.TokenScopePermission",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.api.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.negotiation.ContentNegotiation",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "辽宁省可转化科技成果库 API",
    "DESCRIPTION": "辽宁省可转化科技成果库 REST API v1（令牌认证；英文界面见 Accept-Language: en）",
    # Each path once: the format-suffix twins (``…{format}``) are left out of the schema.
    "PREPROCESSING_HOOKS": ["core.api.schema.drop_format_suffix_paths"],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Tags from the first path segment after /api/v1/; separate request and response components.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AchievementStatusEnum": "achievements.choices.AchievementStatus",
        "TransformationStatusEnum": "achievements.choices.TransformationStatus",
    },
}

# Statistics API: requests per user (and per anonymous address) and period, e.g. "600/min".
STATS_API_THROTTLE_RATE = env.str("STATS_API_THROTTLE_RATE", default="600/min")

# Import (exchange format v1): upload size limit, archive limits (zip bombs), the row count above
# which validation and writing run as a Celery task, and how many problems / changes a job keeps.
# A list counts at most this many matching records per request, then says “超过 N 条” and counts
# exactly on request (docs/registry-pages.md, "Counts"); 0 counts every list exactly. 50,000 keeps
# every figure of the demo data's dashboard exact on its list, and a province-wide list of a
# million records within about 0.3 s of counting.
LIST_COUNT_CAP = env.int("LIST_COUNT_CAP", default=50_000)

IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=1024 * 1024 * 1024)
IMPORT_MAX_ARCHIVE_MEMBERS = env.int("IMPORT_MAX_ARCHIVE_MEMBERS", default=1000)
IMPORT_ASYNC_ROWS = env.int("IMPORT_ASYNC_ROWS", default=2000)
IMPORT_MAX_ERRORS = env.int("IMPORT_MAX_ERRORS", default=5000)
IMPORT_PREVIEW_ROWS = env.int("IMPORT_PREVIEW_ROWS", default=200)

# Demo data is synthetic: the banner says so on every page while any synthetic record exists.
DEMO_BANNER = env.bool("DEMO_BANNER", default=True)

# The reason kept with each history entry (修改原因, a withdrawal's or cancellation's reason, an
# award decision's comment) is a text column: a reason is never cut or refused for its length.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# ---------------------------------------------------------------------------------------------------
# Accounts and HTTP security: login lockout, password mail, HTTPS, Content-Security-Policy
# (docs/security.md "Accounts: login throttling, passwords, headers"; variables in docs/operations.md).
# ---------------------------------------------------------------------------------------------------

# Login lockout (django-axes) on every form that calls authenticate(): /accounts/login/ and
# /admin/login/. A username + client address pair is locked after AXES_FAILURE_LIMIT failures for
# AXES_COOLOFF_MINUTES; staff unlock it earlier in the admin (登录保护 · 登录失败与锁定).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15.0) / 60  # hours, as axes expects
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"  # templates/registration/lockout.html
AXES_ENABLE_ADMIN = False  # accounts/admin.py registers Chinese admin pages with an unlock action
AXES_CLIENT_IP_CALLABLE = "accounts.backends.client_ip"
# Number of reverse proxies in front of the app that append to X-Forwarded-For (0: REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_VERBOSE = False

# Password reset mail. EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.cn:587) or
# EMAIL_BACKEND; by default mails are printed to the console.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@localhost")
# The site's address, for links in mails sent without a request (notifications, sent by a worker).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)

# HTTPS: off in development; production turns it on from the environment. Cookies are secure
# whenever DEBUG is off. The proxy header is trusted (DEBUG off) because the app runs behind a proxy
# that sets it; set SECURE_PROXY_SSL_HEADER= (empty) where clients reach gunicorn directly.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]  # container health checks call it over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="" if DEBUG else "HTTP_X_FORWARDED_PROTO")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None

# Content-Security-Policy (django-csp 4): scripts only from the site's own files (no inline script,
# no inline event handler, no eval). <style> elements only from the site's files too (htmx's
# indicator style is in site.css, meta htmx-config). style="..." attributes are allowed
# (style-src-attr): ECharts draws its charts and tooltips with them; an attribute style has no
# selectors, so it cannot read the page, and the templates carry none (tests check). The API
# documentation pages widen style-src for themselves (liaoning_tt/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
