"""The sandbox's platform key pair (RSA-2048), shared by the web process and the workers.

From settings.PAYMENT_SANDBOX_PRIVATE_KEY_PEM (or its ``_FILE``) when set; otherwise generated once into
``VAR_DIR/sandbox_pay_key.pem``. The file is created with a hard link, which fails if it already exists,
so two processes starting together still end up with the same key.
"""

from __future__ import annotations

import os
import secrets
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from ihospital.integrations.payproviders.signing import serial_of

KEY_FILE_NAME = "sandbox_pay_key.pem"


def _generated_pem(path: Path) -> bytes:
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        scratch.write_bytes(pem)
        scratch.chmod(0o600)
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            scratch.unlink()
    return path.read_bytes()


@cache
def private_key() -> rsa.RSAPrivateKey:
    configured = settings.PAYMENT_SANDBOX_PRIVATE_KEY_PEM
    pem = configured.encode() if configured else _generated_pem(Path(settings.VAR_DIR) / KEY_FILE_NAME)
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ImproperlyConfigured("PAYMENT_SANDBOX_PRIVATE_KEY_PEM must be an RSA key of at least 2048 bits")
    return key


def public_key() -> rsa.RSAPublicKey:
    return private_key().public_key()


@cache
def serial() -> str:
    return serial_of(public_key())


@receiver(setting_changed)
def _forget_key(*, setting: str, **kwargs) -> None:
    if setting in {"PAYMENT_SANDBOX_PRIVATE_KEY_PEM", "VAR_DIR"}:
        private_key.cache_clear()
        serial.cache_clear()
