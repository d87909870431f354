"""WeChat Pay v3's notification signature scheme, shared by the sandbox and a real WeChat adapter.

The signed message is ``timestamp + "\\n" + nonce + "\\n" + body + "\\n"`` (body byte for byte), signed with
RSA PKCS#1 v1.5 over SHA-256 and sent base64-encoded. The timestamp bounds replays: a notification
older (or newer) than ``MAX_SKEW_SECONDS`` is refused even with a valid signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ihospital.integrations.payproviders.base import InvalidSignature

MAX_SKEW_SECONDS = 5 * 60


def signed_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


def new_nonce() -> str:
    return secrets.token_hex(16).upper()


def sign(private_key: rsa.RSAPrivateKey, *, timestamp: str, nonce: str, body: bytes) -> str:
    signature = private_key.sign(signed_message(timestamp, nonce, body), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def verify(
    public_key: rsa.RSAPublicKey, *, timestamp: str, nonce: str, body: bytes, signature: str, now: float | None = None
) -> None:
    """Raise InvalidSignature unless ``signature`` is the key's signature of this very message, made
    within MAX_SKEW_SECONDS of ``now``."""
    if not (timestamp and nonce and signature):
        raise InvalidSignature("missing signature headers")
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, signed_message(timestamp, nonce, body), padding.PKCS1v15(), hashes.SHA256())
    except (binascii.Error, ValueError, CryptoInvalidSignature):
        raise InvalidSignature("signature does not match") from None
    if not timestamp.isdigit() or abs((now if now is not None else time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
        raise InvalidSignature("stale or malformed timestamp")


def serial_of(public_key: rsa.RSAPublicKey) -> str:
    """A stable identifier of the key, shaped like a certificate serial (40 upper-case hex digits)."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:40].upper()
