"""Identities encrypted at rest: AES-256-GCM field encryption and keyed blind indexes.

A stored value is ``enc1$<key id>$<base64url(nonce ‖ ciphertext ‖ tag)>``. The key id names the key of
``settings.FIELD_ENCRYPTION_KEYS`` that sealed it, so keys rotate: the first key of the setting encrypts,
every listed key decrypts, and ``ihospital manage rotate_keys`` re-encrypts old values with the first.
GCM authenticates what it encrypts; the value's *kind* (``phone``, ``id_number``) is bound in as
associated data, so a ciphertext moved into a column of another kind, or altered by one bit, is refused
with ``DecryptionError`` rather than read as something else.

Encrypted values can't be compared, so equality goes through a blind index: HMAC-SHA256 under its own
key (``settings.BLIND_INDEX_KEY``) of the kind and the normalised value. Equal numbers get equal
indexes (sign-in by phone, one ID number per account); the index alone reveals neither. The blind-index
key can't rotate in place (every index would change at once): keep it as long as the data.

Settings:
- ``FIELD_ENCRYPTION_KEYS``: ``kid:base64key`` entries (32-byte keys) separated by commas or white
  space, the current key first; kid is 1–16 of ``[A-Za-z0-9_-]``.
- ``BLIND_INDEX_KEY``: a secret of at least 32 characters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")

# What a blind index of each kind ignores, so that '+86 138-0000-0001' finds '13800000001'.
PHONE = "phone"
ID_NUMBER = "id_number"


class DecryptionError(ValueError):
    """A stored value that does not decrypt: unknown key id, malformed, or altered (GCM tag mismatch)."""


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, AESGCM]


def new_key_entry(key_id: str) -> str:
    """A fresh ``kid:base64key`` entry for FIELD_ENCRYPTION_KEYS."""
    if not KEY_ID.match(key_id):
        raise ValueError("a key id is 1–16 letters, digits, '-' or '_'")
    return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


@lru_cache(maxsize=4)
def _parse_keyring(raw: str) -> Keyring:
    keys: dict[str, AESGCM] = {}
    current = ""
    for entry in re.split(r"[\s,]+", raw.strip()):
        if not entry:
            continue
        key_id, _sep, encoded = entry.partition(":")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if not KEY_ID.match(key_id) or len(key) != 32 or key_id in keys:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS: each entry is kid:base64 of 32 bytes, with distinct kids "
                f"(bad entry for kid {key_id!r})"
            )
        keys[key_id] = AESGCM(key)
        current = current or key_id
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    return Keyring(current, keys)


def keyring() -> Keyring:
    return _parse_keyring(settings.FIELD_ENCRYPTION_KEYS)


def current_key_id() -> str:
    return keyring().current_id


def encrypt(plaintext: str, *, kind: str) -> str:
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.keys[ring.current_id].encrypt(nonce, plaintext.encode(), _associated(kind, ring.current_id))
    return f"{PREFIX}${ring.current_id}${base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, kind: str) -> str:
    key_id = key_id_of(token)
    key = keyring().keys.get(key_id)
    if key is None:
        raise DecryptionError(f"no key {key_id!r} in FIELD_ENCRYPTION_KEYS")
    try:
        raw = base64.urlsafe_b64decode(token.rsplit("$", 1)[1].encode())
        return key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(kind, key_id)).decode()
    except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
        raise DecryptionError("the stored value was altered or is not a ciphertext of this kind") from None


def key_id_of(token: str) -> str:
    """The key id a stored value was sealed with; DecryptionError if it is not a ciphertext at all."""
    parts = token.split("$")
    if len(parts) != 3 or parts[0] != PREFIX or not KEY_ID.match(parts[1]):
        raise DecryptionError("not an encrypted value")
    return parts[1]


def is_ciphertext(value: str) -> bool:
    try:
        key_id_of(value)
    except DecryptionError:
        return False
    return True


def _associated(kind: str, key_id: str) -> bytes:
    return f"{PREFIX}|{kind}|{key_id}".encode()


def normalise(kind: str, value: str) -> str:
    """What equality of two values of ``kind`` means: case, spaces, dashes and +86 don't count."""
    text = re.sub(r"[\s\-()]", "", value or "").upper()
    if kind == PHONE:
        for country in ("+86", "0086"):
            if text.startswith(country):
                text = text[len(country) :]
    return text


def blind_index(kind: str, value: str) -> str:
    """The keyed HMAC-SHA256 of a value of ``kind``, hex: what equality lookups and unique constraints use."""
    message = f"{kind}\x00{normalise(kind, value)}".encode()
    return hmac.new(_blind_index_key(settings.BLIND_INDEX_KEY), message, hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _blind_index_key(raw: str) -> bytes:
    if len(raw) < 32:
        raise ImproperlyConfigured("BLIND_INDEX_KEY must be at least 32 characters")
    return raw.encode()


def mask(value: str, *, keep_start: int, keep_end: int) -> str:
    """'13800001234' → '138****1234' (keep_start=3, keep_end=4); a value too short is all stars."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
