"""Outbox handlers for ``payments.refund`` and ``payments.close``: the provider calls that services
decided on inside a transaction, made after commit. Registered in PaymentsConfig.ready().

They live in payments rather than integrations because what the provider answers changes payment rows
(a refund refused for good fails; a close that finds the order paid applies the late payment).
"""

from __future__ import annotations

from typing import Any

from ihospital.core.errors import DomainError
from ihospital.core.outbox import DeliveryError
from ihospital.integrations.payproviders import provider
from ihospital.integrations.payproviders.base import PayProviderError, RefundRequest
from ihospital.payments.models import PaymentOrder, Refund
from ihospital.payments.services._shared import SYSTEM, notify_url
from ihospital.payments.services.applying import order_apply_status, refund_apply_status, refund_settle


def refund_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    """Ask the provider to refund. Transient failures are retried by the outbox; a permanent refusal
    fails the refund (the order returns to paid / partially refunded). The provider de-duplicates on
    out_refund_no, so a retry after a lost answer refunds once."""
    refund = Refund.objects.select_related("order").get(out_refund_no=payload["out_refund_no"])
    if refund.status != Refund.Status.PENDING:
        return
    gateway = provider()
    request = RefundRequest(
        out_trade_no=refund.order.out_trade_no,
        out_refund_no=refund.out_refund_no,
        amount_fen=refund.amount_fen,
        total_fen=refund.order.amount_fen,
        reason=refund.reason,
        notify_url=notify_url(gateway.name),
    )
    try:
        status = gateway.refund(request)
    except PayProviderError as exc:
        if not exc.permanent:
            raise
        refund_settle(refund=refund, succeeded=False, failure=f"{exc.code}: {exc}", actor=SYSTEM)
        return
    if status.refund_id:
        Refund.objects.filter(pk=refund.pk, provider_refund_id="").update(provider_refund_id=status.refund_id)
    refund_apply_status(refund=refund, status=status, source="refund")


def close_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    """Close the order at the provider. If the payer was faster, the payment is applied now (closed → paid,
    and the payable, which gave up, refuses it: a full refund follows)."""
    gateway = provider()
    out_trade_no = payload["out_trade_no"]
    try:
        gateway.close_order(out_trade_no)
    except PayProviderError as exc:
        if exc.code == PayProviderError.ORDER_NOT_FOUND:
            return  # never reached the provider: nothing to close
        if exc.code != PayProviderError.ORDER_PAID:
            raise
        order = PaymentOrder.objects.get(out_trade_no=out_trade_no)
        try:
            order_apply_status(order=order, status=gateway.query_order(out_trade_no), source="close")
        except DomainError as error:
            raise DeliveryError(f"late payment of {out_trade_no} not applied: {error}", permanent=True) from error
