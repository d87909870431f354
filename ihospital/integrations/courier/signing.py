"""The courier sandbox's callback signature: HMAC-SHA256 under the shared secret (settings.COURIER_SECRET)
over ``timestamp + "\\n" + nonce + "\\n" + body + "\\n"``, sent base64-encoded. A callback whose timestamp is
more than ``MAX_SKEW_SECONDS`` from now is refused even when correctly signed, so an old capture can't be
replayed later; a replay inside the window is caught by the event id (applied once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from ihospital.integrations.courier.base import InvalidSignature

MAX_SKEW_SECONDS = 5 * 60
HEADER_TIMESTAMP = "x-courier-timestamp"
HEADER_NONCE = "x-courier-nonce"
HEADER_SIGNATURE = "x-courier-signature"


def _message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


def sign(secret: str, *, timestamp: str, nonce: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), _message(timestamp, nonce, body), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    return {
        "X-Courier-Timestamp": timestamp,
        "X-Courier-Nonce": nonce,
        "X-Courier-Signature": sign(secret, timestamp=timestamp, nonce=nonce, body=body),
    }


def verify(secret: str, *, headers: dict[str, str], body: bytes, now: float | None = None) -> None:
    """Raise InvalidSignature unless the headers carry this secret's signature of this very body, made
    within MAX_SKEW_SECONDS of ``now``."""
    found = {name.lower(): value for name, value in headers.items()}
    timestamp, nonce = found.get(HEADER_TIMESTAMP, ""), found.get(HEADER_NONCE, "")
    signature = found.get(HEADER_SIGNATURE, "")
    if not (timestamp and nonce and signature):
        raise InvalidSignature("missing signature headers")
    expected = sign(secret, timestamp=timestamp, nonce=nonce, body=body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise InvalidSignature("signature does not match")
    if not timestamp.isdigit() or abs((now if now is not None else time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
        raise InvalidSignature("stale or malformed timestamp")
