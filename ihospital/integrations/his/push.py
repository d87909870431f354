"""Reports the HIS pushes to the app: a released LIS or PACS report, POSTed to the app's inbound endpoint.

Why a push at all: the app also fetches (``LabResults``/``ExamReport`` through the gateway), but the LIS
and PACS know the moment a report is released, and a critical value (危急值) must reach the ordering
doctor at once, not at the next poll. Both paths carry the same dataclass; the app applies a report
once by its report number, whichever path brings it first (docs/his.md, "Reports pushed").

The hospital side (the gateway host, which alone may reach the HIS) signs each push with the secret it
shares with the app (``HIS_PUSH_SECRET``, not an HIS credential)::

    POST <HIS_PUSH_URL>              Content-Type: application/json
    X-His-Timestamp: 1765080000      (seconds; refused outside HIS_PUSH_TOLERANCE_SECONDS)
    X-His-Nonce: 9f2c…               (refused when seen before within the tolerance)
    X-His-Signature: hex(HMAC-SHA256(secret, "timestamp\\nnonce\\nbody"))
    {"notice_id": 7, "kind": "lab", "report": {…LabReport…}}

The app answers 200 when the report is applied (or was already): anything else is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from ihospital.integrations.his import codec
from ihospital.integrations.his.base import ExamReport, LabReport

KINDS: dict[str, type] = {"lab": LabReport, "exam": ExamReport}
HEADERS = ("X-His-Timestamp", "X-His-Nonce", "X-His-Signature")


class PushRefused(Exception):
    """A push that is not accepted; ``code`` says why (bad signature, stale, replayed, unreadable)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Push:
    notice_id: int
    kind: str
    report: LabReport | ExamReport


def signature(secret: str, *, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def body_of(notice_id: int, kind: str, report: LabReport | ExamReport) -> bytes:
    document = {"notice_id": notice_id, "kind": kind, "report": codec.as_payload(report)}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    return {
        "X-His-Timestamp": timestamp,
        "X-His-Nonce": nonce,
        "X-His-Signature": signature(secret, timestamp=timestamp, nonce=nonce, body=body),
        "Content-Type": "application/json",
    }


def verify(secret: str, *, headers: dict[str, str], body: bytes, tolerance_seconds: int) -> str:
    """Check the signature and the timestamp; the nonce, for the caller to refuse a replay."""
    timestamp, nonce, given = (headers.get(name, "") for name in HEADERS)
    if not secret:
        raise PushRefused("push.not_configured", "HIS_PUSH_SECRET is not set")
    if not (timestamp.isdigit() and nonce and given):
        raise PushRefused("push.unsigned", "signature headers missing")
    expected = signature(secret, timestamp=timestamp, nonce=nonce, body=body)
    if not hmac.compare_digest(expected, given):
        raise PushRefused("push.bad_signature", "signature does not match")
    if abs(time.time() - int(timestamp)) > tolerance_seconds:
        raise PushRefused("push.stale", "timestamp outside the tolerance")
    return nonce


def parse(body: bytes) -> Push:
    """The pushed report as its dataclass; PushRefused when it is not one."""
    try:
        document: Any = json.loads(body)
        kind = document["kind"]
        report = codec.from_dict(KINDS[kind], document["report"])
        return Push(notice_id=int(document.get("notice_id") or 0), kind=kind, report=report)
    except (ValueError, KeyError, TypeError) as exc:
        raise PushRefused("push.unreadable", f"not a report push: {exc}") from exc
