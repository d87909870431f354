"""Refuse to start a production (DEBUG off) process on an unsafe configuration.

The demo (settings.DEMO, set by ``ihospital demo``) runs with DEBUG off too, on purpose: it may serve
plain HTTP and show the developer pages, which these checks refuse anywhere else. Everything else (the
secret key, the host names, shared-database keys) is held to the production rules in the demo as well."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

# Secrets that have been published (docs, examples, Django's startproject) are as bad as none.
KNOWN_DEFAULT_SECRETS = {"", "change-me", "changeme", "secret", "django-insecure", "dev"}


@register(Tags.security, deploy=True)
def production_settings_check(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    errors: list[Error] = []
    key = settings.SECRET_KEY or ""
    if key in KNOWN_DEFAULT_SECRETS or key.startswith("django-insecure") or len(key) < 32:
        errors.append(
            Error(
                "SECRET_KEY is a default or too short.",
                hint="Set SECRET_KEY (≥ 32 random characters).",
                id="ihospital.E001",
            )
        )
    if getattr(settings, "DATABASE_URL", "") and not getattr(settings, "SECRET_KEY_FROM_ENV", True):
        errors.append(
            Error(
                "SECRET_KEY was generated on this host, but the database is shared.",
                hint="Every host must use the same SECRET_KEY (and AUDIT_CHAIN_KEY): set it.",
                id="ihospital.E004",
            )
        )
    generated = [
        name for name in ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY") if not getattr(settings, f"{name}_FROM_ENV", True)
    ]
    if getattr(settings, "DATABASE_URL", "") and generated:
        errors.append(
            Error(
                f"{' and '.join(generated)} were generated on this host, but the database is shared.",
                hint="Every host must decrypt the same identities: set them (see .env.example), and back them up.",
                id="ihospital.E006",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(Error("ALLOWED_HOSTS must name the hospital's host names, not '*'.", id="ihospital.E002"))
    https_missing = [
        name
        for name, ok in (
            ("SESSION_COOKIE_SECURE", settings.SESSION_COOKIE_SECURE),
            ("CSRF_COOKIE_SECURE", settings.CSRF_COOKIE_SECURE),
            ("SECURE_HSTS_SECONDS", settings.SECURE_HSTS_SECONDS > 0),
        )
        if not ok
    ]
    if https_missing and not settings.DEMO:  # the demo is served on plain http://127.0.0.1
        errors.append(
            Error(
                f"HTTPS settings missing: {', '.join(https_missing)}.",
                hint="Serve over HTTPS and set them (see .env.example).",
                id="ihospital.E003",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def developer_pages_check(app_configs=None, **kwargs) -> list[Error]:
    """The developer pages show every sandbox SMS (patients' sign-in codes) and the demo staff's current
    authenticator codes: whoever reaches them can sign in as anyone."""
    if settings.DEBUG or settings.DEMO or not settings.DEV_INBOX_ENABLED:
        return []
    return [
        Error(
            "DEV_INBOX_ENABLED is on: the developer pages show sign-in codes to anyone.",
            hint="Unset DEV_INBOX_ENABLED; the developer pages are for DEBUG and the demo (IHOSPITAL_DEMO).",
            id="ihospital.E007",
        )
    ]


CLOUD_VIDEO_PROVIDER = "ihospital.integrations.video.cloud.CloudVideoProvider"


@register(Tags.security, deploy=True)
def video_settings_check(app_configs=None, **kwargs) -> list[Error]:
    """The cloud video adapter signs its tokens with CLOUD_VIDEO_API_SECRET, whose default is published (the
    demo's sandbox platform accepts it)."""
    if settings.DEBUG or settings.DEMO or settings.VIDEO_PROVIDER != CLOUD_VIDEO_PROVIDER:
        return []
    secret = settings.CLOUD_VIDEO_API_SECRET or ""
    if settings.CLOUD_VIDEO_API_SECRET_FROM_ENV and secret not in KNOWN_DEFAULT_SECRETS:
        return []
    return [
        Error(
            "The cloud video provider is configured with the development API secret.",
            hint="Set CLOUD_VIDEO_API_SECRET (or CLOUD_VIDEO_API_SECRET_FILE) to the secret the platform assigned.",
            id="ihospital.E005",
        )
    ]
