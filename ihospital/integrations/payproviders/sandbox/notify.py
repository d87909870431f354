"""The sandbox's notifications: WeChat Pay v3-shaped JSON, signed per attempt, retried on WeChat's schedule.

Bodies look like WeChat's after decryption of ``resource`` (the sandbox sends it in clear)::

    {"id": "…", "create_time": "2026-…+08:00", "event_type": "TRANSACTION.SUCCESS",
     "resource_type": "encrypt-resource", "summary": "支付成功",
     "resource": {"original_type": "transaction", "mchid": "…", "out_trade_no": "…", "transaction_id": "…",
                  "trade_state": "SUCCESS", "success_time": "…", "amount": {"total": 1200, …}}}

Headers: X-Sandbox-Timestamp, X-Sandbox-Nonce, X-Sandbox-Serial, X-Sandbox-Signature (base64 RSA-SHA256
over "timestamp\\nnonce\\nbody\\n"). A 200 or 204 answer is success; anything else is retried.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from ihospital.core import http
from ihospital.core.time import local, now
from ihospital.integrations.models import SandboxNotification, SandboxPayment, SandboxRefund
from ihospital.integrations.payproviders import signing
from ihospital.integrations.payproviders.sandbox import control, keys

logger = logging.getLogger(__name__)

# WeChat Pay's notification retry intervals after each failed attempt (15 retries over about 24 h).
RETRY_SCHEDULE_SECONDS = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)
SUCCESS_STATUSES = (200, 204)


@dataclass(frozen=True)
class Retry:
    seconds: float
    take_fault: bool = True


def _wechat_time(moment: datetime) -> str:
    return local(moment).isoformat(timespec="seconds")  # RFC 3339 in +08:00, as WeChat writes it


def payment_resource(payment: SandboxPayment) -> dict[str, Any]:
    assert payment.paid_at is not None  # only a paid payment is announced
    return {
        "original_type": "transaction",
        "mchid": payment.merchant_id,
        "out_trade_no": payment.out_trade_no,
        "transaction_id": payment.transaction_id,
        "trade_type": "MWEB",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "success_time": _wechat_time(payment.paid_at),
        "amount": {"total": payment.amount_fen, "payer_total": payment.amount_fen, "currency": "CNY"},
    }


def refund_resource(refund: SandboxRefund) -> dict[str, Any]:
    payment = refund.payment
    return {
        "original_type": "refund",
        "mchid": payment.merchant_id,
        "out_trade_no": payment.out_trade_no,
        "transaction_id": payment.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.state,
        "success_time": _wechat_time(refund.succeeded_at or now()),
        "amount": {
            "total": payment.amount_fen,
            "refund": refund.amount_fen,
            "payer_total": payment.amount_fen,
            "payer_refund": refund.amount_fen,
        },
    }


def owe(*, event_type: str, summary: str, resource: dict[str, Any], notify_url: str) -> SandboxNotification:
    """Record a notification in the caller's transaction; its first attempt starts after commit."""
    from ihospital.integrations.payproviders.sandbox import tasks  # the task module imports this one

    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "create_time": _wechat_time(now()),
        "event_type": event_type,
        "resource_type": "encrypt-resource",
        "summary": summary,
        "resource": resource,
    }
    note = SandboxNotification.objects.create(
        event_id=event["id"],
        event_type=event_type,
        out_trade_no=resource["out_trade_no"],
        notify_url=notify_url,
        body=json.dumps(event, ensure_ascii=False, separators=(",", ":")),
    )
    note_id = note.pk
    transaction.on_commit(lambda: tasks.sandbox_notification_send(note_id))
    return note


def signed_headers(body: bytes) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), signing.new_nonce()
    return {
        "X-Sandbox-Timestamp": timestamp,
        "X-Sandbox-Nonce": nonce,
        "X-Sandbox-Serial": keys.serial(),
        "X-Sandbox-Signature": signing.sign(keys.private_key(), timestamp=timestamp, nonce=nonce, body=body),
    }


def corrupted(body: bytes) -> bytes:
    """What a meddling proxy might do: raise the amount (after the body was signed)."""
    event = json.loads(body)
    event["resource"]["amount"]["total"] += 100
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def post(url: str, *, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """One delivery attempt to the merchant: its HTTP status (0 when nothing answered) and the start of
    its answer. Sent once (attempts=1): retrying is the job of WeChat's schedule, which we imitate."""
    client = http.Client(
        service="sandbox-pay",
        transport=settings.PAYMENT_SANDBOX_TRANSPORT,
        read_timeout=settings.PAYMENT_SANDBOX_NOTIFY_TIMEOUT_SECONDS,
        attempts=1,
    )
    try:
        response = client.request("POST", url, headers={**headers, "Content-Type": "application/json"}, content=body)
    except http.HttpError as error:
        if error.response is None:
            return 0, str(error)[:200]
        return error.response.status_code, error.response.text[:200]
    return response.status_code, response.text[:200]


def retry_delay(attempts: int) -> float | None:
    """Seconds to wait after the ``attempts``-th failed attempt, or None when the schedule is over."""
    if attempts > len(RETRY_SCHEDULE_SECONDS):
        return None
    return RETRY_SCHEDULE_SECONDS[attempts - 1] * settings.PAYMENT_SANDBOX_RETRY_FACTOR


def attempt(notification_id: int, *, take_fault: bool = True) -> Retry | None:
    """Make one delivery attempt; return when to try again, or None when done (delivered, dropped, given up)."""
    note = SandboxNotification.objects.get(pk=notification_id)
    if note.status != SandboxNotification.Status.PENDING:
        return None
    fault = control.take() if take_fault else None
    if fault and fault.mode == "drop":
        SandboxNotification.objects.filter(pk=note.pk).update(status=SandboxNotification.Status.DROPPED)
        logger.warning("sandbox pay: dropped %s for %s (fault injection)", note.event_type, note.out_trade_no)
        return None
    if fault and fault.mode == "delay":
        return Retry(seconds=fault.delay, take_fault=False)

    body = note.body.encode()
    headers = signed_headers(body)
    if fault and fault.mode == "corrupt":
        body = corrupted(body)
    answers = [post(note.notify_url, headers=headers, body=body)]
    if fault and fault.mode == "duplicate":
        answers.append(post(note.notify_url, headers=headers, body=body))

    delivered = any(status in SUCCESS_STATUSES for status, _text in answers)
    attempts = note.attempts + 1
    status, text = answers[-1]
    changes: dict[str, Any] = {"attempts": F("attempts") + 1, "last_answer": f"{status} {text}"[:200]}
    delay = None if delivered else retry_delay(attempts)
    if delivered:
        changes.update(status=SandboxNotification.Status.DELIVERED, delivered_at=now())
    elif delay is None:
        changes.update(status=SandboxNotification.Status.GAVE_UP)
        logger.error("sandbox pay: gave up %s for %s after %d attempts", note.event_type, note.out_trade_no, attempts)
    SandboxNotification.objects.filter(pk=note.pk).update(**changes)
    return None if delay is None else Retry(seconds=delay)
