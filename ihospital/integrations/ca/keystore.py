"""Private keys at rest: PKCS#8 DER encrypted with AES-256-GCM under a key derived by scrypt.

An envelope (``ihospital-key-v1``, JSON) names how its key was wrapped:

- ``pin``: the holder's signing PIN. The scrypt passphrase is HMAC-SHA256(CA_KEY_SECRET, PIN), so a copy
  of the database alone cannot be brute-forced through the small PIN space: the attacker also needs the
  server's secret. scrypt's cost (N = CA_KEY_SCRYPT_N, r = 8, p = 1) is kept in the envelope, so raising
  the setting applies to keys wrapped afterwards while older ones still open.
- ``enrolment``: a personal key issued before its holder chose a PIN. Opened only to be re-wrapped under
  the first PIN; the CA refuses to sign with it.
- ``server``: the hospital seal and the CA's own keys, which sign without a person (CA_KEY_SECRET only).

The authenticated data binds the envelope to its algorithm, wrapping and certificate serial, so an
envelope moved onto another certificate, or relabelled, does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings

FORMAT = "ihospital-key-v1"
Wrap = Literal["pin", "enrolment", "server"]
SERVER_SCRYPT_N = 2**10  # the server secret is high-entropy: the KDF only has to separate keys


class WrongSecret(Exception):
    """The PIN (or the server secret) does not open the envelope, or the envelope was altered."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _passphrase(wrap: Wrap, pin: str | None) -> bytes:
    secret = settings.CA_KEY_SECRET.encode()
    return hmac.new(secret, f"{wrap}:{pin if wrap == 'pin' else ''}".encode(), hashlib.sha256).digest()


def _aad(algorithm: str, wrap: str, serial: str) -> bytes:
    return f"{FORMAT}|{algorithm}|{wrap}|{serial}".encode()


def _derive(passphrase: bytes, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase)


def wrap(*, der: bytes, algorithm: str, serial: str, wrap: Wrap, pin: str | None = None) -> str:
    """Encrypt a PKCS#8 DER key. ``pin`` is required for the ``pin`` wrapping and ignored otherwise."""
    if wrap == "pin" and not pin:
        raise ValueError("a PIN-wrapped key needs the PIN")
    n = settings.CA_KEY_SCRYPT_N if wrap == "pin" else SERVER_SCRYPT_N
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = _derive(_passphrase(wrap, pin), salt, n)
    ciphertext = AESGCM(key).encrypt(nonce, der, _aad(algorithm, wrap, serial))
    envelope = {
        "format": FORMAT,
        "algorithm": algorithm,
        "serial": serial,
        "wrap": wrap,
        "kdf": {"name": "scrypt", "n": n, "r": 8, "p": 1, "salt": _b64(salt)},
        "cipher": "aes-256-gcm",
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"))


def describe(handle: str) -> dict:
    """The envelope's clear fields (format, algorithm, serial, wrap). ValueError if it is not one."""
    try:
        envelope = json.loads(handle)
    except ValueError:
        raise ValueError("not a key envelope") from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise ValueError("not a key envelope")
    return envelope


def unwrap(handle: str, *, pin: str | None = None) -> bytes:
    """The PKCS#8 DER inside. Raises WrongSecret when the PIN (or server secret) is wrong."""
    envelope = describe(handle)
    kdf = envelope["kdf"]
    if kdf.get("name") != "scrypt" or kdf.get("r") != 8 or kdf.get("p") != 1 or not 2**4 <= kdf["n"] <= 2**22:
        raise ValueError("unsupported key derivation")
    key = _derive(_passphrase(envelope["wrap"], pin), base64.b64decode(kdf["salt"]), kdf["n"])
    try:
        return AESGCM(key).decrypt(
            base64.b64decode(envelope["nonce"]),
            base64.b64decode(envelope["ciphertext"]),
            _aad(envelope["algorithm"], envelope["wrap"], envelope["serial"]),
        )
    except InvalidTag:
        raise WrongSecret("the PIN does not open this key") from None
