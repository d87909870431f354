"""Test doubles and helpers for payments: a payable that records what payments told it, and signed
(or tampered) notifications built the way the sandbox builds them."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import Client
from huey.contrib.djhuey import HUEY

from ihospital.core.time import local, now
from ihospital.integrations.payproviders import signing
from ihospital.integrations.payproviders.sandbox import notify
from ihospital.payments.models import PaymentOrder

NOTIFY_PATH = "/payments/notify/sandbox/"


class RecordingPayable:
    """Registered as payable kind "test". Class-level state, because payments builds its own instance.

    ``accept`` is on_paid's answer (False: the hold expired); ``explode`` makes that many on_paid calls raise.
    """

    lock = threading.Lock()
    paid: list[tuple[str, str]] = []
    refunded: list[tuple[str, int, bool]] = []
    accept = True
    explode = 0
    ended: set[str] = set()  # payable ids ``unsold`` reports as never to be delivered

    @classmethod
    def reset(cls) -> None:
        cls.paid, cls.refunded, cls.accept, cls.explode, cls.ended = [], [], True, 0, set()

    def on_paid(self, *, payable_id: str, order_public_id: str) -> bool:
        with self.lock:
            if RecordingPayable.explode > 0:
                RecordingPayable.explode -= 1
                raise RuntimeError("payable crashed")
            RecordingPayable.paid.append((payable_id, order_public_id))
        return RecordingPayable.accept

    def on_refunded(self, *, payable_id: str, order_public_id: str, amount_fen: int, fully: bool) -> None:
        with self.lock:
            RecordingPayable.refunded.append((payable_id, amount_fen, fully))

    def unsold(self, *, payable_ids) -> set[str]:
        return set(payable_ids) & RecordingPayable.ended


def payment_body(
    order: PaymentOrder,
    *,
    amount_fen: int | None = None,
    merchant_id: str | None = None,
    transaction_id: str = "4200000000000000000000000042",
) -> bytes:
    event = {
        "id": str(uuid.uuid4()),
        "create_time": local(now()).isoformat(timespec="seconds"),
        "event_type": "TRANSACTION.SUCCESS",
        "resource_type": "encrypt-resource",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "mchid": merchant_id or settings.PAYMENT_SANDBOX_MERCHANT_ID,
            "out_trade_no": order.out_trade_no,
            "transaction_id": transaction_id,
            "trade_state": "SUCCESS",
            "success_time": local(now()).isoformat(timespec="seconds"),
            "amount": {"total": order.amount_fen if amount_fen is None else amount_fen},
        },
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def signed(body: bytes) -> dict[str, str]:
    """Headers as the sandbox signs them (its platform key, now)."""
    return notify.signed_headers(body)


def forged(body: bytes) -> dict[str, str]:
    """Headers claiming the sandbox's serial but signed with a key the attacker made."""
    headers = signed(body)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    timestamp, nonce = headers["X-Sandbox-Timestamp"], headers["X-Sandbox-Nonce"]
    headers["X-Sandbox-Signature"] = signing.sign(attacker, timestamp=timestamp, nonce=nonce, body=body)
    return headers


def post_notification(body: bytes, headers: dict[str, str], *, path: str = NOTIFY_PATH):
    return Client().generic("POST", path, data=body, content_type="application/json", headers=headers)


def run_scheduled(*, seconds: float) -> int:
    """Run the huey tasks scheduled (in immediate mode they wait in memory) up to ``seconds`` from now."""
    moment = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=seconds)
    tasks = HUEY.read_schedule(moment)
    for task in tasks:
        HUEY.execute(task, timestamp=moment)  # as if that moment had come
    return len(tasks)


def scheduled_delays() -> list[float]:
    """Seconds from now until each scheduled huey task is due."""
    moment = datetime.now(UTC).replace(tzinfo=None)
    return sorted((task.eta - moment).total_seconds() for task in HUEY.scheduled())
