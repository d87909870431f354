"""Refunds asked for by people or payables (a cancelled booking, a hospital administrator)."""

from __future__ import annotations

from django.db import transaction

from ihospital.audit.services import Actor
from ihospital.payments.models import PaymentOrder, Refund
from ihospital.payments.services.applying import refund_start


@transaction.atomic
def payment_refund_request(
    *, order: PaymentOrder, amount_fen: int, reason: str, idempotency_key: str, actor: Actor
) -> Refund:
    """Refund ``amount_fen`` (all or part) of a paid order. The provider is called later, by the outbox.

    Idempotent on ``idempotency_key``: the same key returns the same Refund and does nothing more (even
    once the order is fully refunded). Refuses (nothing changed): payment.refund_key_reused (same key,
    other order or amount), payment.invalid_amount, payment.illegal_state (not paid),
    payment.refund_exceeds_paid (more than paid − refunded − refunds in progress).
    Side effects: a pending Refund, order → refunding, an outbox message ``payments.refund``, an audit
    entry ``payment.refund_requested``. When the provider confirms, ``on_refunded`` is called.
    """
    return refund_start(order=order, amount_fen=amount_fen, reason=reason, idempotency_key=idempotency_key, actor=actor)
