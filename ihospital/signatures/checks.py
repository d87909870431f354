"""Refuse to start with a signature algorithm or CA setting this system cannot use."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from ihospital.signatures.models import Algorithm


@register()
def signature_settings(app_configs, **kwargs) -> list[Error]:
    errors = []
    if settings.SIGNATURE_ALGORITHM not in Algorithm.values:
        errors.append(
            Error(
                f"SIGNATURE_ALGORITHM is {settings.SIGNATURE_ALGORITHM!r}",
                hint=f"Choose one of: {', '.join(Algorithm.values)}.",
                id="signatures.E001",
            )
        )
    try:
        import_string(settings.CA_BACKEND)
    except ImportError:
        errors.append(Error(f"CA_BACKEND {settings.CA_BACKEND!r} cannot be imported", id="signatures.E002"))
    n = settings.CA_KEY_SCRYPT_N
    if n < 2**14 or n & (n - 1):
        errors.append(
            Error(
                f"CA_KEY_SCRYPT_N is {n}",
                hint="A power of two of at least 16384 (below that, PIN-encrypted keys are cheap to guess).",
                id="signatures.E003",
            )
        )
    return errors
