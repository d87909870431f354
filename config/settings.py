"""The one settings module. Everything that differs between deployments is read from the environment.

Embedded default (no variables set): SQLite in WAL mode, SqliteHuey and media under ``./var/``, an
in-memory channel layer and the built-in sandboxes. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL, channels-redis and RedisHuey. Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import env, envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("IHOSPITAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", False)
# The demo (`ihospital demo` sets it): a developer's machine serving plain HTTP on loopback, DEBUG off so
# visitors see the product's own pages, and the developer pages switched on by their own settings
# (DEV_INBOX_ENABLED, CLOUD_VIDEO_SANDBOX_ENABLED). The deploy checks (ihospital.core.checks) let these
# relaxed settings pass only here; never set it on a server that patients or staff use.
DEMO = envbool("IHOSPITAL_DEMO", False)


def _embedded_secret(name: str, make=lambda: secrets.token_urlsafe(64)) -> str:
    """Generate a secret once into ./var/<name> so an embedded install never runs on a shared default."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY_FROM_ENV = bool(env("SECRET_KEY"))
SECRET_KEY = env("SECRET_KEY") or _embedded_secret("secret_key")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# HTTPS: required when DEBUG is off (see ihospital.core.checks), off by default for the local demo.
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): no inline script or style anywhere, nothing from other origins
# (every asset is vendored), no framing; violations are posted to /csp-report/, which logs them.
# deploy/nginx.conf sends the same policy for what it serves itself (tests/test_csp.py compares them).
# CSP_FORM_ACTION_EXTRA: origins a form may post or be redirected to besides this site (a real payment
# provider's cashier, when checkout redirects there).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *envlist("CSP_FORM_ACTION_EXTRA", "")],
        "frame-ancestors": ["'none'"],
        "report-uri": ["/csp-report/"],
    }
}
CSP_REPORTS_PER_ADDRESS_PER_MINUTE = envint("CSP_REPORTS_PER_ADDRESS_PER_MINUTE", 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 30 * 60)  # 等保: idle sessions end after 30 minutes
SESSION_SAVE_EVERY_REQUEST = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # staff recovery codes
    "ihospital.core",
    "ihospital.audit",
    "ihospital.accounts",
    "ihospital.scheduling",
    "ihospital.payments",
    "ihospital.notifications",
    "ihospital.appointments",
    "ihospital.consultations",
    "ihospital.records",
    "ihospital.prescriptions",
    "ihospital.fulfilment",
    "ihospital.signatures",
    "ihospital.labs",  # lab tests and exams (issue 14)
    "ihospital.integrations",
    "ihospital.ops",
    "ihospital.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before the session reads its cookie and CSRF reads the form: refuses NUL, invalid UTF-8 and bodies
    # that can't be parsed; errors on API paths always leave as {code, message, fields} JSON.
    "ihospital.core.web.BadInputMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ihospital.accounts.middleware.account_language",  # the account's chosen language over the cookie's
    "django.contrib.messages.middleware.MessageMiddleware",
    "ihospital.accounts.middleware.session_limits",  # staff idle timeout, absolute session age (audited)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ihospital.core.web.DomainErrorMiddleware",  # a refusal leaving an HTML view → its error page
    # Last: WhiteNoise is sync-only, and under ASGI every sync middleware above an async one costs a
    # thread hop per request (measured in bench/booking.py: /healthz 115 → 177 req/s).
    "whitenoise.middleware.WhiteNoiseMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
                "ihospital.web.context_processors.shell",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A bounded pool per process: under ASGI each in-flight request runs in its own thread, and
        # without a pool a crowd opens a connection per request (PostgreSQL runs out; each costs ~20 ms).
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": envint("DB_POOL_MAX", 8),
            "timeout": envint("DB_POOL_TIMEOUT", 10),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "ihospital.sqlite3",
            "OPTIONS": {
                # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at BEGIN so two
                # writers queue on busy_timeout instead of failing with "database is locked" on upgrade.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory: the browser tests' ASGI server reaches it from its own threads. One per
            # process, so two test runs on one machine never share it.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    # redis-py 8 reads with a 5-second timeout, the same as channels-redis's wait for a message: an idle
    # socket's consumer then crashes every 5 s (django/channels_redis#422). And when a crowd of sockets
    # closes at once, the default pool of 100 connections fails instead of waiting (bench/realtime.py).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 10, "max_connections": 2000}]},
        }
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env("HUEY_NAME", "ihospital"),
        "url": REDIS_URL,
        "immediate": envbool("HUEY_IMMEDIATE", False),
        "consumer": {"workers": envint("HUEY_WORKERS", 4), "worker_type": "thread", "periodic": True},
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A crowd runs more request threads than redis-py's default pool of 100 allows: wait for a
            # connection instead of failing the request.
            "OPTIONS": {"pool_class": "redis.BlockingConnectionPool", "max_connections": 50, "timeout": 10},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "ihospital",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": envbool("HUEY_IMMEDIATE", False),
        "consumer": {"workers": envint("HUEY_WORKERS", 2), "worker_type": "thread", "periodic": True},
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served publicly: private files go through authorized views
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))  # collectstatic target, for nginx if wanted
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve app static straight from the source tree; no collectstatic step

# --- Identity --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保 level 3: at least three of upper case, lower case, digits and symbols; none of the last N passwords.
    {"NAME": "ihospital.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "ihospital.accounts.passwords.PasswordHistoryValidator"},
]
PASSWORD_HISTORY_COUNT = envint("PASSWORD_HISTORY_COUNT", 5)  # a new password may not be one of the last N
PASSWORD_MAX_AGE_DAYS = envint("PASSWORD_MAX_AGE_DAYS", 90)  # staff then change it at their next sign-in
LOGIN_URL = "accounts:staff_sign_in"
PATIENT_LOGIN_URL = "/p/sign-in/"
# Where role_required (ihospital.core.web) sends anonymous visitors, by the roles a page admits; others: LOGIN_URL.
ROLE_LOGIN_URLS = {"patient": PATIENT_LOGIN_URL}
WEB_ERROR_TEMPLATE = "web/error.html"  # the page for a DomainError raised by an HTML view
CSRF_FAILURE_VIEW = "ihospital.web.views.csrf_failure"  # a refused form's page, branded (issue 9, item 11)
API_PATH_PREFIXES = ["/api/"]  # every error under these is {code, message, fields} JSON (core.web)
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours: 15-minute lock, the same as for SMS codes
# Locked per user name AND address: someone guessing from elsewhere can't lock a doctor out of their own
# workstation. Across all addresses a slower limit holds (below), and tripping it alerts security admins.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False
# Failed staff sign-ins for one user name from all addresses together, per window: past it every address
# is refused until the window ends, and security administrators get a notification (accounts.services).
STAFF_SIGN_IN_GLOBAL_FAILURES = envint("STAFF_SIGN_IN_GLOBAL_FAILURES", 30)
STAFF_SIGN_IN_GLOBAL_WINDOW_SECONDS = envint("STAFF_SIGN_IN_GLOBAL_WINDOW_SECONDS", 3600)
# Before each consultation the doctor re-enters a password or TOTP code; it counts for this long (issue 4).
STAFF_IDENTITY_CHECK_SECONDS = envint("STAFF_IDENTITY_CHECK_SECONDS", 10 * 60)
# Staff second factor (issue 10): these roles sign in with their password and an authenticator code (or a
# recovery code); a first sign-in sets the authenticator up. Nurses sign in with their password alone.
STAFF_TOTP_ROLES = envlist("STAFF_TOTP_ROLES", "hospital_admin,security_admin,auditor,pharmacist,doctor")
STAFF_SIGN_IN_STEP_SECONDS = 5 * 60  # between the password and the second step of a staff sign-in
RECOVERY_CODE_COUNT = 10
# Sessions: staff are signed out after this long without a request; everyone after SESSION_ABSOLUTE_SECONDS
# however active (audited as account.session_expired).
STAFF_IDLE_TIMEOUT_SECONDS = envint("STAFF_IDLE_TIMEOUT_SECONDS", 15 * 60)
SESSION_ABSOLUTE_SECONDS = envint("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "互联网医院")  # the name authenticator apps show beside the code
SILENCED_SYSTEM_CHECKS = [
    # No AxesMiddleware: sign-in services turn a lock into the coded error account.staff_locked themselves.
    "axes.W002",
    # Locked per (user name, address) pair on purpose: see AXES_LOCKOUT_PARAMETERS.
    "axes.W006",
]

SMS_CODE_TTL_SECONDS = 5 * 60
SMS_CODE_MAX_WRONG = 5
SMS_LOCK_SECONDS = 15 * 60
SMS_RESEND_INTERVAL_SECONDS = envint("SMS_RESEND_INTERVAL_SECONDS", 60)
SMS_MAX_PER_HOUR = envint("SMS_MAX_PER_HOUR", 5)  # per number
SMS_MAX_PER_ADDRESS_PER_HOUR = envint("SMS_MAX_PER_ADDRESS_PER_HOUR", 10)  # codes asked from one address
SMS_MAX_PER_MINUTE = envint("SMS_MAX_PER_MINUTE", 60)  # the whole site: caps what a crowd of addresses costs
# The APIs' general limits (django-ninja throttles, ihospital.core.api): requests per signed-in user and per
# client address ("N/s", "N/min", "N/hour"); a scope left out is not limited. 429 with Retry-After.
API_RATE_LIMITS = {
    "user": env("API_RATE_LIMIT_USER", "120/min"),
    "address": env("API_RATE_LIMIT_ADDRESS", "600/min"),
}
# The payment provider's notify endpoint: posts per address per minute (anyone can post there).
PAYMENT_NOTIFY_PER_ADDRESS_PER_MINUTE = envint("PAYMENT_NOTIFY_PER_ADDRESS_PER_MINUTE", 120)
# The privacy notice patients consent to (accounts/privacy_notice.html). Change it when the notice changes:
# every patient is then asked again, at their next sign-in, to consent to the new version.
PRIVACY_NOTICE_VERSION = env("PRIVACY_NOTICE_VERSION", "2026-12")
API_TOKEN_TTL_HOURS = envint("API_TOKEN_TTL_HOURS", 24 * 7)
VISIT_PERSONS_PER_ACCOUNT = 5

# Outbound HTTP (ihospital.core.http, every integration's calls): timeouts in seconds, and retries of
# the calls safe to repeat (attempts in all, the first wait doubling each time).
HTTP_CONNECT_TIMEOUT_SECONDS = float(env("HTTP_CONNECT_TIMEOUT_SECONDS", "3"))
HTTP_READ_TIMEOUT_SECONDS = float(env("HTTP_READ_TIMEOUT_SECONDS", "10"))
HTTP_RETRY_ATTEMPTS = envint("HTTP_RETRY_ATTEMPTS", 3)
HTTP_RETRY_BACKOFF_SECONDS = float(env("HTTP_RETRY_BACKOFF_SECONDS", "0.5"))

# Outside systems: a dotted path to the adapter; the sandbox is the default.
SMS_BACKEND = env("SMS_BACKEND", "ihospital.integrations.sms.sandbox.SandboxSmsBackend")
SMS_SANDBOX_LATENCY_SECONDS = float(env("SMS_SANDBOX_LATENCY_SECONDS", "0.05"))
# Payments: the provider adapter, and what can be paid for (payable kind → handler class).
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", "ihospital.integrations.payproviders.sandbox.provider.SandboxPayProvider")
PAYABLES = {
    "registration": "ihospital.appointments.payables.RegistrationPayable",
    "lab_order": "ihospital.labs.payables.LabOrderPayable",  # lab tests and exams (issue 14)
    "prescription": "ihospital.fulfilment.payables.PrescriptionPayable",  # issue 13
}
# Where providers post their notifications and send patients back: this site's public address.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
PAYMENT_QUERY_AFTER_MINUTES = envint("PAYMENT_QUERY_AFTER_MINUTES", 3)
# Payment sandbox (ihospital/integrations/payproviders/sandbox/), the default PAYMENT_PROVIDER.
PAYMENT_SANDBOX_MERCHANT_ID = env("PAYMENT_SANDBOX_MERCHANT_ID", "1900000109")
PAYMENT_SANDBOX_MERCHANT_NAME = env("PAYMENT_SANDBOX_MERCHANT_NAME", "互联网医院（沙箱商户）")
# Its RSA-2048 platform key (PEM); *_FILE works. Unset: generated once into VAR_DIR/sandbox_pay_key.pem.
PAYMENT_SANDBOX_PRIVATE_KEY_PEM = env("PAYMENT_SANDBOX_PRIVATE_KEY_PEM")
# How notifications reach PUBLIC_BASE_URL: the httpx transport class, the network by default, or
# ihospital.core.http.InProcessTransport (Django's test client answers in process: tests).
PAYMENT_SANDBOX_TRANSPORT = env("PAYMENT_SANDBOX_TRANSPORT", "httpx.HTTPTransport")
PAYMENT_SANDBOX_NOTIFY_TIMEOUT_SECONDS = float(env("PAYMENT_SANDBOX_NOTIFY_TIMEOUT_SECONDS", "5"))
# WeChat's notification retry schedule (15 s … 6 h) multiplied by this; 1/15 makes 24 h last ~1.6 h.
PAYMENT_SANDBOX_RETRY_FACTOR = float(env("PAYMENT_SANDBOX_RETRY_FACTOR", str(1 / 15)))
PAYMENT_SANDBOX_REFUND_DELAY_SECONDS = float(env("PAYMENT_SANDBOX_REFUND_DELAY_SECONDS", "2"))
# Courier (ihospital/integrations/courier/, issue 13 delivery): the adapter, and the shared secret its route
# updates are signed with (HMAC-SHA256; *_FILE works). Unset: generated once into ./var/.
COURIER_PROVIDER = env("COURIER_PROVIDER", "ihospital.integrations.courier.sandbox.provider.SandboxCourier")
COURIER_SECRET = env("COURIER_SECRET") or _embedded_secret("courier_secret")
# The courier sandbox: seconds between a parcel's steps (picked up, in transit, delivered), how its pushes
# reach PUBLIC_BASE_URL (as PAYMENT_SANDBOX_TRANSPORT), and its retry schedule (5 s … 30 min) times a factor.
COURIER_SANDBOX_STEP_SECONDS = float(env("COURIER_SANDBOX_STEP_SECONDS", "20"))
COURIER_SANDBOX_TRANSPORT = env("COURIER_SANDBOX_TRANSPORT", "httpx.HTTPTransport")
COURIER_SANDBOX_TIMEOUT_SECONDS = float(env("COURIER_SANDBOX_TIMEOUT_SECONDS", "5"))
COURIER_SANDBOX_RETRY_FACTOR = float(env("COURIER_SANDBOX_RETRY_FACTOR", "1"))
# Fulfilment (ihospital/fulfilment, issue 13): the sender on the waybill, addresses per account, callback posts
# per address per minute (anyone can post there).
FULFILMENT_SENDER_NAME = env("FULFILMENT_SENDER_NAME", "互联网医院药房")
FULFILMENT_SENDER_PHONE = env("FULFILMENT_SENDER_PHONE", "02164041990")
FULFILMENT_SENDER_REGION = env("FULFILMENT_SENDER_REGION", "上海市 徐汇区")
FULFILMENT_SENDER_ADDRESS = env("FULFILMENT_SENDER_ADDRESS", "医学院路 138 号 门诊楼二层")
FULFILMENT_PARCEL_DESCRIPTION = env("FULFILMENT_PARCEL_DESCRIPTION", "药品（处方药）")
ADDRESSES_PER_ACCOUNT = envint("ADDRESSES_PER_ACCOUNT", 10)
COURIER_CALLBACK_PER_ADDRESS_PER_MINUTE = envint("COURIER_CALLBACK_PER_ADDRESS_PER_MINUTE", 120)
# The HIS pharmacy that dispenses prescriptions for delivery; wrong pickup codes a pharmacist may type in a window.
FULFILMENT_DELIVERY_PHARMACY = env("FULFILMENT_DELIVERY_PHARMACY", "YF03")
PICKUP_CODE_MAX_WRONG = envint("PICKUP_CODE_MAX_WRONG", 5)
PICKUP_CODE_WINDOW_SECONDS = envint("PICKUP_CODE_WINDOW_SECONDS", 10 * 60)


def _json_list(name: str) -> list:
    import json  # only this setting is JSON

    value = json.loads(env(name, "[]"))
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a JSON list")
    return value


# Video (ihospital/integrations/video/): built-in WebRTC by default, or the cloud video platform (云视讯).
VIDEO_PROVIDER = env("VIDEO_PROVIDER", "ihospital.integrations.video.builtin.BuiltinWebRTCProvider")
# The browsers' iceServers, a JSON list of {urls, username?, credential?}; [] is enough on one machine/LAN.
WEBRTC_ICE_SERVERS = _json_list("WEBRTC_ICE_SERVERS")
# coturn with use-auth-secret: short-lived TURN credentials are derived from this shared secret.
TURN_URLS = envlist("TURN_URLS", "")
TURN_SHARED_SECRET = env("TURN_SHARED_SECRET")
TURN_CREDENTIAL_TTL_SECONDS = envint("TURN_CREDENTIAL_TTL_SECONDS", 3600)
# The cloud adapter's platform and credentials (the secret is checked by ihospital.core.checks).
CLOUD_VIDEO_BASE_URL = env("CLOUD_VIDEO_BASE_URL", f"{PUBLIC_BASE_URL}/sandbox/video/v1")
CLOUD_VIDEO_API_KEY = env("CLOUD_VIDEO_API_KEY", "sandbox-api-key")
CLOUD_VIDEO_API_SECRET_FROM_ENV = bool(env("CLOUD_VIDEO_API_SECRET"))
CLOUD_VIDEO_API_SECRET = env("CLOUD_VIDEO_API_SECRET", "ihospital-dev-only-cloud-video-api-secret")
CLOUD_VIDEO_ORG_ID = env("CLOUD_VIDEO_ORG_ID", "sandbox-org")
CLOUD_VIDEO_TOKEN_TTL_SECONDS = envint("CLOUD_VIDEO_TOKEN_TTL_SECONDS", 300)
CLOUD_VIDEO_TIMEOUT_SECONDS = float(env("CLOUD_VIDEO_TIMEOUT_SECONDS", "5"))
CLOUD_VIDEO_TRANSPORT = env("CLOUD_VIDEO_TRANSPORT", "httpx.HTTPTransport")  # or ...core.http.InProcessTransport
# The cloud-video sandbox at /sandbox/video/v1/: on in DEBUG, or when the cloud adapter is pointed at it.
CLOUD_VIDEO_SANDBOX_ENABLED = envbool(
    "CLOUD_VIDEO_SANDBOX_ENABLED",
    DEBUG
    or (
        VIDEO_PROVIDER.endswith(".CloudVideoProvider")
        and CLOUD_VIDEO_BASE_URL.startswith(f"{PUBLIC_BASE_URL}/sandbox/video/")
    ),
)
# The credentials the sandbox platform accepts; by default those the adapter sends.
CLOUD_VIDEO_SANDBOX_API_KEY = env("CLOUD_VIDEO_SANDBOX_API_KEY", CLOUD_VIDEO_API_KEY)
CLOUD_VIDEO_SANDBOX_API_SECRET = env("CLOUD_VIDEO_SANDBOX_API_SECRET", CLOUD_VIDEO_API_SECRET)
CLOUD_VIDEO_SANDBOX_ORG_ID = env("CLOUD_VIDEO_SANDBOX_ORG_ID", CLOUD_VIDEO_ORG_ID)
CLOUD_VIDEO_SANDBOX_LATENCY_SECONDS = float(env("CLOUD_VIDEO_SANDBOX_LATENCY_SECONDS", "0.05"))
# HIS (ihospital/integrations/his/): the app's client. "sandbox" calls the simulated HIS in process;
# "soap" calls the forwarding gateway (gateway/, `ihospital gateway`) with WS-Security UsernameToken.
HIS_CLIENT = env("HIS_CLIENT", "ihospital.integrations.his.sandbox.SandboxHis")
HIS_READ_TIMEOUT_SECONDS = float(env("HIS_READ_TIMEOUT_SECONDS", "10"))
HIS_GATEWAY_URL = env("HIS_GATEWAY_URL", "http://127.0.0.1:8200/his")
HIS_GATEWAY_USERNAME = env("HIS_GATEWAY_USERNAME", "ihospital-app")


def _embedded_gateway_password() -> str:
    """The app↔gateway password of an embedded install, generated once into ./var/ (both read it)."""
    path = VAR_DIR / "his_gateway_password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


HIS_GATEWAY_PASSWORD = env("HIS_GATEWAY_PASSWORD") or _embedded_gateway_password()
# Optional mutual TLS to the gateway: the client certificate and key (PEM), and the CA that signed the
# gateway's certificate (default: the system's).
HIS_GATEWAY_CLIENT_CERT = env("HIS_GATEWAY_CLIENT_CERT")
HIS_GATEWAY_CLIENT_KEY = env("HIS_GATEWAY_CLIENT_KEY")
HIS_GATEWAY_CA_BUNDLE = env("HIS_GATEWAY_CA_BUNDLE")
# The httpx transport to the gateway (core/http.py): the network with the certificates above.
HIS_GATEWAY_TRANSPORT = env("HIS_GATEWAY_TRANSPORT", "ihospital.integrations.his.soap.GatewayTransport")
# After this many failed calls in a row the client stops calling for the cooldown (core/breaker.py).
HIS_BREAKER_THRESHOLD = envint("HIS_BREAKER_THRESHOLD", 5)
HIS_BREAKER_COOLDOWN_SECONDS = float(env("HIS_BREAKER_COOLDOWN_SECONDS", "30"))
# The simulated HIS (its own SQLite file, seeded on first use) behind the sandbox and the gateway.
HIS_SIM_DATABASE = Path(env("HIS_SIM_DATABASE", str(VAR_DIR / "his-sim.sqlite3")))
HIS_SIM_LATENCY_SECONDS = float(env("HIS_SIM_LATENCY_SECONDS", "0"))
HIS_SIM_REPORT_DELAY_SECONDS = float(env("HIS_SIM_REPORT_DELAY_SECONDS", "600"))
# Lab results: reports the hospital side pushes to the app (integrations/his/push.py), signed with a
# secret shared with the gateway host (*_FILE works; generated once into ./var/ in an embedded install).
HIS_PUSH_URL = env("HIS_PUSH_URL", f"{PUBLIC_BASE_URL}/his/push/reports/")
HIS_PUSH_SECRET = env("HIS_PUSH_SECRET") or _embedded_secret("his_push_secret")
HIS_PUSH_TOLERANCE_SECONDS = envint("HIS_PUSH_TOLERANCE_SECONDS", 300)
HIS_PUSH_TRANSPORT = env("HIS_PUSH_TRANSPORT", "httpx.HTTPTransport")  # or ...core.http.InProcessTransport
# Lab results: a key image's DICOM file larger than this is refused; the HIS is asked about orders it has
# not pushed a report for after this long; a visit person's HIS report list is read at most this often.
LABS_DICOM_MAX_BYTES = envint("LABS_DICOM_MAX_BYTES", 20 * 1024 * 1024)
LABS_REPORT_POLL_AFTER_SECONDS = envint("LABS_REPORT_POLL_AFTER_SECONDS", 300)
LABS_REPORT_SYNC_SECONDS = envint("LABS_REPORT_SYNC_SECONDS", 300)

# The forwarding gateway (gateway/, its own process). It holds the HIS credentials; the app holds only
# its own caller password. Callers: "name:password" pairs, comma-separated (*_FILE works); by default
# the one embedded caller above.
GATEWAY_HOST = env("GATEWAY_HOST", "127.0.0.1")
GATEWAY_PORT = envint("GATEWAY_PORT", 8200)
GATEWAY_CALLERS = env("GATEWAY_CALLERS", f"{HIS_GATEWAY_USERNAME}:{HIS_GATEWAY_PASSWORD}")
GATEWAY_ALLOWED_ADDRESSES = envlist("GATEWAY_ALLOWED_ADDRESSES", "127.0.0.1,::1")
GATEWAY_MAX_REQUEST_BYTES = envint("GATEWAY_MAX_REQUEST_BYTES", 64 * 1024)
GATEWAY_TIMESTAMP_TOLERANCE_SECONDS = envint("GATEWAY_TIMESTAMP_TOLERANCE_SECONDS", 300)
GATEWAY_RATE_LIMIT_PER_MINUTE = envint("GATEWAY_RATE_LIMIT_PER_MINUTE", 6000)
GATEWAY_THREADS = envint("GATEWAY_THREADS", 8)
# The HIS behind the gateway: a class with call(func_code, xml) -> xml (ihospital/integrations/his/vendor.py).
GATEWAY_HIS_BACKEND = env("GATEWAY_HIS_BACKEND", "ihospital.integrations.his.simulated.configured")

# Signatures (ihospital/signatures, ihospital/integrations/ca/): ECDSA P-256 + SHA-256 by default, or
# "sm2-sm3" (SM2 + SM3, the national algorithms). The CA: the built-in one (also a remote-signing sandbox).
SIGNATURE_ALGORITHM = env("SIGNATURE_ALGORITHM", "ecdsa-p256-sha256")
CA_BACKEND = env("CA_BACKEND", "ihospital.integrations.ca.sandbox.BuiltinCa")
CA_ORGANIZATION = env("CA_ORGANIZATION", "互联网医院")  # the O= of certificates the built-in CA issues
# Private keys at rest are encrypted under a key derived from this secret and the holder's PIN (*_FILE
# works). Changing it makes every stored key unusable: keep it with the database backups.
CA_KEY_SECRET = env("CA_KEY_SECRET") or SECRET_KEY
CA_KEY_SCRYPT_N = envint("CA_KEY_SCRYPT_N", 2**15)  # scrypt cost for PIN-wrapped keys (r=8, p=1: 32 MiB)
CA_SANDBOX_LATENCY_SECONDS = float(env("CA_SANDBOX_LATENCY_SECONDS", "0.02"))
CA_PERSONAL_CERTIFICATE_DAYS = envint("CA_PERSONAL_CERTIFICATE_DAYS", 365)
CA_SEAL_CERTIFICATE_DAYS = envint("CA_SEAL_CERTIFICATE_DAYS", 3 * 365)
SIGNING_PIN_MAX_WRONG = envint("SIGNING_PIN_MAX_WRONG", 5)  # wrong PINs in a row before the lock
SIGNING_PIN_LOCK_SECONDS = envint("SIGNING_PIN_LOCK_SECONDS", 15 * 60)

# Retention (SPEC §6; 《医疗机构病历管理规定》, 互联网诊疗监管细则): how many years clinical data is kept at
# least. Nothing is deleted automatically; ops/archive may move data only once these have passed.
# `manage check` (records.E001–E003) refuses periods shorter than the legal minimum.
RETENTION_YEARS_RECORDS = envint("RETENTION_YEARS_RECORDS", 15)
RETENTION_YEARS_MESSAGES = envint("RETENTION_YEARS_MESSAGES", 15)
RETENTION_YEARS_RECORDINGS = envint("RETENTION_YEARS_RECORDINGS", 3)
# Booking rules.
BOOKING_HOLD_MINUTES = envint("BOOKING_HOLD_MINUTES", 15)
BOOKING_OPENS_DAYS_AHEAD = envint("BOOKING_OPENS_DAYS_AHEAD", 7)
BOOKING_CLOSES_MINUTES_BEFORE = envint("BOOKING_CLOSES_MINUTES_BEFORE", 30)
CANCEL_FREE_UNTIL_HOURS_BEFORE = envint("CANCEL_FREE_UNTIL_HOURS_BEFORE", 2)
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_MAX_COUNT = 9
# Consultation room (ihospital/consultations).
CONSULTATION_REMINDER_MINUTES = sorted((int(m) for m in envlist("CONSULTATION_REMINDER_MINUTES", "30,5")), reverse=True)
CHECK_IN_OPENS_MINUTES_BEFORE = envint("CHECK_IN_OPENS_MINUTES_BEFORE", 30)
CHECK_IN_CLOSES_MINUTES_AFTER = envint("CHECK_IN_CLOSES_MINUTES_AFTER", 60)  # a late patient may still come in
CALL_ANSWER_SECONDS = envint("CALL_ANSWER_SECONDS", 120)
CALL_ATTEMPTS = 2  # the first ring and one recall, then "missed"
CONSULTATION_AUTO_COMPLETE_HOURS = envint("CONSULTATION_AUTO_COMPLETE_HOURS", 24)
CHAT_MAX_CHARS = 2000
CHAT_IMAGE_MAX_BYTES = envint("CHAT_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
RECORDING_CHUNK_MAX_BYTES = envint("RECORDING_CHUNK_MAX_BYTES", 8 * 1024 * 1024)
RECORDING_ASSEMBLE_AFTER_IDLE_MINUTES = envint("RECORDING_ASSEMBLE_AFTER_IDLE_MINUTES", 10)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Lab tests and exams (ihospital/labs, issue 14): the catalogue read from the HIS is kept this long; an order
# is paid within LAB_PAYMENT_MINUTES of starting to pay; exam times are offered LAB_BOOKING_DAYS_AHEAD days
# ahead and may be changed or cancelled online until LAB_BOOKING_CHANGE_CLOSES_HOURS_BEFORE hours before;
# the reminder (with the preparation) goes out the day before, from LAB_REMINDER_LOCAL_HOUR hospital time.
LAB_CATALOGUE_CACHE_SECONDS = envint("LAB_CATALOGUE_CACHE_SECONDS", 300)
LAB_PAYMENT_MINUTES = envint("LAB_PAYMENT_MINUTES", 30)
LAB_BOOKING_DAYS_AHEAD = envint("LAB_BOOKING_DAYS_AHEAD", 14)
LAB_BOOKING_CHANGE_CLOSES_HOURS_BEFORE = envint("LAB_BOOKING_CHANGE_CLOSES_HOURS_BEFORE", 12)
LAB_REMINDER_LOCAL_HOUR = envint("LAB_REMINDER_LOCAL_HOUR", 10)
LAB_ORDER_MAX_ITEMS = 10

# The developer inbox shows sandbox SMS (sign-in codes) on a page; never enable it in production.
DEV_INBOX_ENABLED = envbool("DEV_INBOX_ENABLED", DEBUG)

# The audit chain is keyed so that someone with write access to the database alone cannot forge it.
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY") or SECRET_KEY

# Identities at rest (ihospital/core/crypto.py): phone and resident ID numbers are AES-256-GCM encrypted
# under FIELD_ENCRYPTION_KEYS ("kid:base64key" entries, the current key first; older keys still decrypt
# until `ihospital manage rotate_keys` has re-encrypted with the current one) and found through a blind
# index keyed by BLIND_INDEX_KEY (never changes once data exists). Unset: generated once into ./var/.
FIELD_ENCRYPTION_KEYS_FROM_ENV = bool(env("FIELD_ENCRYPTION_KEYS"))
FIELD_ENCRYPTION_KEYS = env("FIELD_ENCRYPTION_KEYS") or _embedded_secret(
    "field_encryption_keys",
    lambda: "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
)
BLIND_INDEX_KEY_FROM_ENV = bool(env("BLIND_INDEX_KEY"))
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY") or _embedded_secret("blind_index_key")

# Backups (`ihospital manage backup`, docs/operations.md): archives are encrypted under this passphrase
# and written to BACKUP_DIR. Unset: generated once into ./var/ — copy it somewhere safe, since an archive
# can't be read without it, and var/ is what a backup is for losing.
BACKUP_PASSPHRASE_FROM_ENV = bool(env("BACKUP_PASSPHRASE"))
BACKUP_PASSPHRASE = env("BACKUP_PASSPHRASE") or _embedded_secret("backup_passphrase")
BACKUP_DIR = Path(env("BACKUP_DIR", str(VAR_DIR / "backups")))

# Prescription rule checks (ihospital/prescriptions/rules/): the limits of 《处方管理办法》 and
# 《互联网诊疗管理办法》. Items per prescription; days' supply: ordinary, for a chronic condition the drug
# treats, and a long-term prescription (长期处方) of a stable chronic patient.
PRESCRIPTION_MAX_ITEMS = envint("PRESCRIPTION_MAX_ITEMS", 5)
PRESCRIPTION_MAX_DAYS = envint("PRESCRIPTION_MAX_DAYS", 7)
PRESCRIPTION_MAX_DAYS_CHRONIC = envint("PRESCRIPTION_MAX_DAYS_CHRONIC", 28)
PRESCRIPTION_MAX_DAYS_LONG_TERM = envint("PRESCRIPTION_MAX_DAYS_LONG_TERM", 84)
# Children under the first age need their guardian recorded as present; from the second age on a patient is
# dosed by the adult ranges, below it by the rule file's children's ranges.
PRESCRIPTION_GUARDIAN_UNDER_YEARS = envint("PRESCRIPTION_GUARDIAN_UNDER_YEARS", 6)
PRESCRIPTION_ADULT_DOSE_FROM_YEARS = envint("PRESCRIPTION_ADULT_DOSE_FROM_YEARS", 12)
# A quantity above this many packages per item is a typing mistake, not a prescription.
PRESCRIPTION_MAX_PACKAGES = envint("PRESCRIPTION_MAX_PACKAGES", 99)
# Prescriptions (issue 13): a released prescription may be paid for this many days, then it expires.
PRESCRIPTION_VALID_DAYS = envint("PRESCRIPTION_VALID_DAYS", 3)
# The HIS drug catalogue (and its stock) is kept this many seconds per process for searches and rule checks.
PRESCRIPTION_CATALOGUE_SECONDS = envint("PRESCRIPTION_CATALOGUE_SECONDS", 60)

# --- Internationalisation --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "ihospital" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"  # shown to people; stored in UTC (USE_TZ)
USE_TZ = True
# Times shown without a filter (the back office's columns) say their zone too (issue 9, item 10).
FORMAT_MODULE_PATH = ["ihospital.core.formats"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "huey": {"level": "INFO", "propagate": False},
        # ihospital.core.http logs each call with secrets masked; httpx's own line has the raw URL.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
