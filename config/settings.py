"""Switchboard settings, read from the environment.

No configuration at all gives the embedded default (SQLite, in-memory channel layer, eager Celery);
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis for scaling out.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.prefix import channel_layer_prefix

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG: bool = env.bool("DEBUG", default=False)
# Known to everyone who reads this file: never accepted with DEBUG off.
DEBUG_ONLY_SECRET_KEY = "insecure-debug-only-key"
SECRET_KEY: str = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off (make run writes one to .env).")
    SECRET_KEY = DEBUG_ONLY_SECRET_KEY
elif not DEBUG and (SECRET_KEY == DEBUG_ONLY_SECRET_KEY or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY is a published example key; set a fresh random one when DEBUG is off.")

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address (links sent on Telegram and VK, the URLs printed by load_demo); by default the
# local one on the port daphne is given (`make run PORT=8100`).
PORT: int = env.int("PORT", default=8000)
SITE_URL: str = env.str("SITE_URL", default=f"http://127.0.0.1:{PORT}")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "chat",
    "connectors",
    "workspace",
    "orders",
    "kb",
    "search",
    "preshot",
    # Serves the API docs' own Swagger files, so /api/docs needs no CDN.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the views' exceptions first: a database outage answers 503, never ok.
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several request threads write at once in one process; wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
else:
    # A pool of open connections per process (psycopg_pool; config/dbpool.py): every HTTP request
    # runs in a thread of its own under daphne, so without one each request connects afresh.
    DATABASE_POOL: bool = env.bool("DATABASE_POOL", default=True)
    if DATABASE_POOL:
        # Django refuses persistent connections with a pool: a "closed" connection goes back to it.
        if DATABASES["default"].get("CONN_MAX_AGE") or env.int("CONN_MAX_AGE", default=0):
            raise ImproperlyConfigured("CONN_MAX_AGE must be 0 (or unset) while DATABASE_POOL is on.")
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            # Kept open while idle; the rest are opened under load and closed after 10 idle minutes.
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            # Per process: N daphne x this + Celery children + beat must stay under max_connections.
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
            # A request waits this long for a free connection, then fails (503: the platforms retry).
            # Short, because while PostgreSQL is away every request waits this long to be told so.
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=3.0),
        }
    else:
        DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # Behind PgBouncer in transaction mode a cursor cannot outlive its transaction: on there
    # (docs/scaling.md), `.iterator()` then fetches in chunks on the client instead.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DISABLE_SERVER_SIDE_CURSORS", default=False)
    # Off by default: a check is one more round trip before the first query of every database call
    # of a consumer (as much time as storing a chat message, measured in bench/). A connection that
    # died with its server fails one call, is then dropped, and the next call reconnects.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES: bool = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

# Benchmark only (bench/webhooks.py): mounts the bare one-INSERT webhook floor on this server.
BENCH_WEBHOOK_FLOOR: bool = env.bool("BENCH_WEBHOOK_FLOOR", default=False)

# --- Redis: channel layer, cache, Celery broker --------------------------------------------------
REDIS_URL: str = env.str("REDIS_URL", default="")
# Two deployments on one Redis must not hear each other: unless set, the prefix names this database.
CHANNEL_LAYER_PREFIX: str = env.str("CHANNEL_LAYER_PREFIX", default="") or channel_layer_prefix(DATABASES["default"])
# "pubsub" (default: no silent drops, lower CPU per message) or "core" (channels-redis' list layer).
CHANNEL_LAYER_KIND: str = env.str("CHANNEL_LAYER_KIND", default="pubsub")
if REDIS_URL:
    # redis-py 8 defaults socket_timeout to 5 s, which kills idle channels-redis readers blocked
    # for 5 s; its async pool defaults to 100 connections. Both are raised here on purpose.
    _redis_host = {"address": REDIS_URL, "socket_timeout": 10, "max_connections": 1000}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                # channels-redis' pub/sub layer, telling consumers when Redis lost their subscriptions.
                "chat.layers.ResyncingPubSubChannelLayer"
                if CHANNEL_LAYER_KIND == "pubsub"
                else "channels_redis.core.RedisChannelLayer"
            ),
            "CONFIG": {"hosts": [_redis_host], "prefix": CHANNEL_LAYER_PREFIX},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CHANNEL_LAYER_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER: bool = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis broker: a task taken by a worker that dies (kill -9, power loss) goes back to the queue after
# this many seconds. It must exceed the longest countdown a task waits on a worker (delivery retries
# back off up to 300 s), or such a task is handed out twice (the delivery lock then absorbs it).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
    # Look for abandoned tasks every few seconds, not every 10 x 10 s.
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker holding a task when Redis restarts reconnects instead of stopping (config/broker.py).
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
# Beat's record of when each entry last ran: a restarted beat runs what fell due while it was down.
CELERY_BEAT_SCHEDULE_FILENAME: str = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
# Every entry runs as chat.tasks.run_periodic under a lock of its own (config/celery.py, chat/periodic.py).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sweep-disconnected-operators": {"task": "chat.tasks.sweep_disconnected_operators", "schedule": 15.0},
    # Safety net: assignment skips a chat another transaction holds locked at that instant.
    "assign-waiting": {"task": "chat.tasks.assign_waiting", "schedule": 10.0},
    # Off unless a manager sets a queue's first-reply limit (admin, Queues).
    "requeue-unanswered-chats": {"task": "chat.tasks.requeue_unanswered_chats", "schedule": 10.0},
    "prune-events": {"task": "chat.tasks.prune_events", "schedule": 3600.0},
    # Dashboards: recompute finished days that changed (or were never rolled up); today is read raw.
    "roll-up-metrics-days": {"task": "chat.tasks.roll_up_metrics_days", "schedule": 300.0},
    "check-service-targets": {
        "task": "workspace.tasks.check_service_targets",
        "schedule": env.float("SWITCHBOARD_TARGET_CHECK_SECONDS", default=30.0),
    },
    "close-silent-queued": {"task": "workspace.tasks.close_silent_queued", "schedule": 30.0},
    "publish-live-dashboard": {"task": "workspace.tasks.publish_live_dashboard", "schedule": 5.0},
    # Telegram/VK updates stored while the broker was unreachable: processed within a minute or two.
    "process-leftover-updates": {"task": "connectors.tasks.process_leftover_updates", "schedule": 60.0},
    # Retention: erases one batch of expired conversations per run (nothing while the setting is 0).
    "erase-expired-conversations": {"task": "chat.tasks.erase_expired_conversations", "schedule": 600.0},
    # Pre-shot: tell consenting shoppers about late orders (preshot/notices.py).
    "preshot-notices": {"task": "preshot.notices.send_due_notices", "schedule": 600.0},
}
# Service level counts chats answered within this many seconds (the T of the metric).
SWITCHBOARD_SERVICE_LEVEL_SECONDS: int = env.int("SWITCHBOARD_SERVICE_LEVEL_SECONDS", default=20)
# Days the beat's rollup task recomputes per run (a day of a busy shop takes about a second).
SWITCHBOARD_ROLLUP_DAYS_PER_RUN: int = env.int("SWITCHBOARD_ROLLUP_DAYS_PER_RUN", default=7)
# A queued shopper silent this long has left: the chat is closed as abandoned.
SWITCHBOARD_ABANDON_AFTER_SECONDS: int = env.int("SWITCHBOARD_ABANDON_AFTER_SECONDS", default=600)
# Without a broker nobody runs beat: the server process runs the schedule itself (chat/periodic.py).
SWITCHBOARD_PERIODIC_IN_PROCESS: bool = env.bool("SWITCHBOARD_PERIODIC_IN_PROCESS", default=not REDIS_URL)
# The embedded default's periodic-task locks are files here (Redis locks when REDIS_URL is set).
SWITCHBOARD_LOCK_DIR: str = env.str("SWITCHBOARD_LOCK_DIR", default=str(BASE_DIR / "var" / "locks"))

# --- Email: operators' replies to offline widget messages ---------------------------------------
# EMAIL_URL (smtp+tls://user:password@host:587, smtps://..., consolemail://) wins; else EMAIL_HOST and
# friends; with neither, DEBUG prints mails to the console and production uses SMTP on localhost:25.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_HOST: str = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT: int = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER: str = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD: str = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS: bool = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL: bool = env.bool("EMAIL_USE_SSL", default=False)
    EMAIL_BACKEND: str = env.str(
        "EMAIL_BACKEND",
        default="django.core.mail.backends.console.EmailBackend"
        if DEBUG and not env.str("EMAIL_HOST", default="")
        else "django.core.mail.backends.smtp.EmailBackend",
    )
EMAIL_TIMEOUT: int = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="Switchboard <noreply@localhost>")

# --- Auth, i18n, static --------------------------------------------------------------------------
# Django's password check, refused while a name or an address is locked out (workspace/auth.py).
AUTHENTICATION_BACKENDS = ["workspace.auth.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/workspace/login/"
LOGIN_REDIRECT_URL = "/workspace/"
LOGOUT_REDIRECT_URL = "/workspace/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static"
# Uploaded and downloaded files (attachments, questionnaire photos). Never served as /media/: only
# through the access-checked views in workspace.files; MEDIA_URL is left unset.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Where files are kept: every read and write goes through Django's storage API, so any backend works.
# Default: the local folder MEDIA_ROOT. S3-compatible (AWS, Yandex Object Storage, MinIO...): install
# django-storages[s3] and set SWITCHBOARD_FILE_STORAGE=storages.backends.s3.S3Storage with
# SWITCHBOARD_FILE_STORAGE_OPTIONS='{"bucket_name": "...", "endpoint_url": "...", "access_key": "...",
# "secret_key": "...", "default_acl": "private", "querystring_auth": true}' (docs/attachments.md).
STORAGES = {
    "default": {
        "BACKEND": env.str("SWITCHBOARD_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("SWITCHBOARD_FILE_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# daphne serves /static/ itself so a shop needs no extra web server to start.
SERVE_FILES: bool = env.bool("SERVE_FILES", default=True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- Behind TLS: cookies, HSTS, redirect, CSP (deploy/production.env.example sets them) ---------
SESSION_COOKIE_HTTPONLY = True
# Session and CSRF cookies only over HTTPS: on whenever the site is served over TLS.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# nginx (or any TLS proxy) says the original scheme in X-Forwarded-Proto; trust it only behind one.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers probe /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT: list[str] = [r"^healthz$"]
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_REFERRER_POLICY = "same-origin"
# Checks a shop has decided to live with (e.g. security.W005 when a subdomain is still plain HTTP).
SILENCED_SYSTEM_CHECKS: list[str] = env.list("SILENCED_SYSTEM_CHECKS", default=[])
# Send the policy as Content-Security-Policy-Report-Only instead (to try it on a customised install).
CSP_REPORT_ONLY: bool = env.bool("CSP_REPORT_ONLY", default=False)
# The shop's origins (https://shop.example) that embed the widget: they alone may frame the stylist
# questionnaire. Empty: any site may (the form holds nothing but its own conversation's answers).
WIDGET_ALLOWED_ORIGINS: list[str] = env.list("WIDGET_ALLOWED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "config.security.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # httpx logs every request URL at INFO, and a Bot API URL holds the bot's token.
        "httpx": {"level": "WARNING"},
    },
}

# --- Switchboard ---------------------------------------------------------------------------------
# The most chats one operator holds at once; a manager may set an operator lower, never higher.
SWITCHBOARD_MAX_CHATS: int = env.int("SWITCHBOARD_MAX_CHATS", default=4)
# How long every workspace tab of an operator may be gone before their chats go back to the queue.
SWITCHBOARD_OFFLINE_GRACE_SECONDS: int = env.int("SWITCHBOARD_OFFLINE_GRACE_SECONDS", default=60)
# Every open socket looks this often for stored messages and events whose broadcast was lost (a
# process killed between commit and broadcast); 0 turns it off.
SWITCHBOARD_CATCH_UP_SECONDS: float = env.float("SWITCHBOARD_CATCH_UP_SECONDS", default=10.0)
# Each workspace connection proves it is alive this often; one silent for the expiry is taken as
# dead (a crashed consumer, a killed process) and removed by the sweep.
SWITCHBOARD_PRESENCE_HEARTBEAT_SECONDS: float = env.float("SWITCHBOARD_PRESENCE_HEARTBEAT_SECONDS", default=15.0)
SWITCHBOARD_PRESENCE_EXPIRY_SECONDS: float = env.float("SWITCHBOARD_PRESENCE_EXPIRY_SECONDS", default=45.0)
# Chats whose handle time feeds the estimated wait shown to queued shoppers.
SWITCHBOARD_EWT_SAMPLE: int = env.int("SWITCHBOARD_EWT_SAMPLE", default=50)
SWITCHBOARD_DEFAULT_HANDLE_SECONDS: int = env.int("SWITCHBOARD_DEFAULT_HANDLE_SECONDS", default=300)
# A shopper queued this long is offered to leave an email or phone (the chat keeps its place).
SWITCHBOARD_OFFER_MESSAGE_AFTER_SECONDS: int = env.int("SWITCHBOARD_OFFER_MESSAGE_AFTER_SECONDS", default=180)
SWITCHBOARD_MESSAGE_MAX_CHARS: int = env.int("SWITCHBOARD_MESSAGE_MAX_CHARS", default=4096)
# Files shoppers send from Telegram/VK: the largest accepted, and the types accepted (by content, not
# by the sender's claim; "*" accepts any). Refused files leave a note and the shopper is told why.
SWITCHBOARD_ATTACHMENT_MAX_BYTES: int = env.int("SWITCHBOARD_ATTACHMENT_MAX_BYTES", default=10_000_000)
SWITCHBOARD_ATTACHMENT_TYPES: list[str] = env.list(
    "SWITCHBOARD_ATTACHMENT_TYPES",
    default=[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "application/pdf",
        "application/zip",
        "text/plain",
        "video/mp4",
    ],
)
# Another origin (e.g. https://files.shop.example, the same servers under a second host name) that
# serves attachments through short-lived signed links, so even a file a browser mis-renders runs in
# an origin that holds no session. Unset: served from the workspace's own origin, sandboxed.
SWITCHBOARD_ATTACHMENT_ORIGIN: str = env.str("SWITCHBOARD_ATTACHMENT_ORIGIN", default="").rstrip("/")
# The shop's greeting, first in every new chat (widget) and the answer to /start and VK's Start
# button; empty means the built-in one (chat/texts.py).
SWITCHBOARD_GREETING_EN: str = env.str("SWITCHBOARD_GREETING_EN", default="")
SWITCHBOARD_GREETING_RU: str = env.str("SWITCHBOARD_GREETING_RU", default="")
# Shared with the shop: it signs its logged-in customer (HMAC-SHA256) for the widget. Empty: off.
WIDGET_CUSTOMER_SECRET: str = env.str("WIDGET_CUSTOMER_SECRET", default="")
# How long a widget visitor token stays valid; the widget refreshes it on each chat opening.
WIDGET_TOKEN_MAX_AGE_DAYS: int = env.int("WIDGET_TOKEN_MAX_AGE_DAYS", default=365)
# Closed conversations older than this many days are erased (texts, files, rating comments,
# questionnaires; contacts left with nothing else are anonymised). 0: kept for ever.
SWITCHBOARD_RETENTION_DAYS: int = env.int("SWITCHBOARD_RETENTION_DAYS", default=0)
# Live events are kept this long for clients that resume after a disconnect.
SWITCHBOARD_EVENT_RETENTION_HOURS: int = env.int("SWITCHBOARD_EVENT_RETENTION_HOURS", default=24)
# A shopper may rate a closed chat for this long; 1-2 stars flag it for a manager.
SWITCHBOARD_RATING_WINDOW_DAYS: int = env.int("SWITCHBOARD_RATING_WINDOW_DAYS", default=7)
# After rating on Telegram or VK, the shopper's next message within this time is taken as the comment.
SWITCHBOARD_RATING_COMMENT_MINUTES: int = env.int("SWITCHBOARD_RATING_COMMENT_MINUTES", default=15)
# The signed stylist questionnaire link works for its conversation only, and only this long.
SWITCHBOARD_QUESTIONNAIRE_LINK_HOURS: int = env.int("SWITCHBOARD_QUESTIONNAIRE_LINK_HOURS", default=72)
SWITCHBOARD_QUESTIONNAIRE_PHOTO_MAX_BYTES: int = env.int("SWITCHBOARD_QUESTIONNAIRE_PHOTO_MAX_BYTES", default=5_000_000)

# --- Connectors: Telegram and VK (a connector with no token is off) ------------------------------
TELEGRAM_BOT_TOKEN: str = env.str("TELEGRAM_BOT_TOKEN", default="")
# Telegram echoes this in X-Telegram-Bot-Api-Secret-Token on every webhook call.
TELEGRAM_WEBHOOK_SECRET: str = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_API_URL: str = env.str("TELEGRAM_API_URL", default="https://api.telegram.org")
VK_GROUP_ID: str = env.str("VK_GROUP_ID", default="")
VK_GROUP_TOKEN: str = env.str("VK_GROUP_TOKEN", default="")
VK_CALLBACK_SECRET: str = env.str("VK_CALLBACK_SECRET", default="")
VK_CONFIRMATION_CODE: str = env.str("VK_CONFIRMATION_CODE", default="")
VK_API_URL: str = env.str("VK_API_URL", default="https://api.vk.com")
VK_API_VERSION: str = env.str("VK_API_VERSION", default="5.199")

# --- Rate limits (chat/throttle.py): "<count>/<seconds>" per subject, or "off" -----------------
# Shared by all processes through the cache (Redis when REDIS_URL is set). Each can be set from the
# environment as SWITCHBOARD_RATE_<NAME in capitals>, e.g. SWITCHBOARD_RATE_WIDGET_MESSAGE_VISITOR=30/10.
_RATE_LIMIT_DEFAULTS = {
    # Failed sign-ins (workspace and admin): past these, even the right password waits for the window.
    "login_user": "5/900",
    "login_ip": "20/900",
    # Bearer tokens for the API that are not valid, per client address.
    "api_token_ip": "20/60",
    # Widget: messages, stylist consultations opened, offline-form posts, visitor tokens issued.
    "widget_message_visitor": "20/10",
    "widget_message_ip": "200/10",
    "consultation_visitor": "3/60",
    "consultation_ip": "30/60",
    "offline_visitor": "5/300",
    "offline_ip": "30/300",
    "widget_token_ip": "60/60",
    # Help searches (the widget, shops' scripts) per client address.
    "help_search_ip": "120/60",
    # The widget's pre-shot panel (its stage and questions, answers opened, consents) per client address.
    "preshot_ip": "120/60",
    # Telegram and VK messages per sender: all are stored, past this the sender is asked to slow down.
    "inbound_user": "20/10",
}
SWITCHBOARD_RATE_LIMITS: dict[str, str] = {
    name: env.str(f"SWITCHBOARD_RATE_{name.upper()}", default=default) for name, default in _RATE_LIMIT_DEFAULTS.items()
}
SWITCHBOARD_THROTTLE_PREFIX: str = env.str("SWITCHBOARD_THROTTLE_PREFIX", default="throttle")
# Addresses of the reverse proxies in front of daphne (nginx): only from these is X-Forwarded-For believed.
SWITCHBOARD_TRUSTED_PROXIES: list[str] = env.list("SWITCHBOARD_TRUSTED_PROXIES", default=[])

# --- Pre-shot suggestions (preshot/, docs/preshot.md) -------------------------------------------
# The shop's pages for each action, "{number}" replaced by the order number, e.g.
# {"cancel": "https://shop.example/account/orders/{number}/cancel"}. Kinds: change_address, cancel,
# start_return, report_missing, refund_status (track uses the order's own tracking link). An action
# without a page is not offered.
SWITCHBOARD_SHOP_ACTION_URLS: dict[str, str] = env.json("SWITCHBOARD_SHOP_ACTION_URLS", default={})
# A chat this many hours after an opened answer means the answer did not deflect it.
SWITCHBOARD_DEFLECTION_WINDOW_HOURS: int = env.int("SWITCHBOARD_DEFLECTION_WINDOW_HOURS", default=24)
