"""The certificate authority (数字证书): the configured backend (settings.CA_BACKEND), the built-in CA by
default. See base.py for the interface and sandbox.py for the built-in CA."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from ihospital.integrations.ca.base import CertificateAuthority


@cache
def backend() -> CertificateAuthority:
    return import_string(settings.CA_BACKEND)()


@cache
def builtin() -> CertificateAuthority:
    """The built-in CA: it also signs with keys imported from an outside CA, which are held here."""
    from ihospital.integrations.ca.sandbox import BuiltinCa

    return BuiltinCa()


def for_custody(custody: str) -> CertificateAuthority:
    """The CA that holds a credential's key: ``builtin`` (issued here or imported) or the backend's name."""
    return builtin() if custody == "builtin" else backend()


@receiver(setting_changed)
def _forget_backend(*, setting: str, **kwargs) -> None:
    if setting == "CA_BACKEND":
        backend.cache_clear()
