"""Refuse to start a production (DEBUG off) process on an unsafe configuration."""

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
    if https_missing:
        errors.append(
            Error(
                f"HTTPS settings missing: {', '.join(https_missing)}.",
                hint="Serve over HTTPS and set them (see .env.example).",
                id="ihospital.E003",
            )
        )
    return errors


CLOUD_VIDEO_PROVIDER = "ihospital.integrations.video.cloud.CloudVideoProvider"


@register(Tags.security, deploy=True)
def video_settings_check(app_configs=None, **kwargs) -> list[Error]:
    """The cloud video adapter signs its tokens with CLOUD_VIDEO_API_SECRET, whose default is published."""
    if settings.DEBUG or settings.VIDEO_PROVIDER != CLOUD_VIDEO_PROVIDER:
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
