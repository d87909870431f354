"""Active queries: what to do when a notification never comes (lost, dropped, the site was down)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.integrations.payproviders import provider
from ihospital.integrations.payproviders.base import OrderStatus, PayProviderError
from ihospital.payments.models import PaymentOrder, Refund
from ihospital.payments.payables import payable
from ihospital.payments.services._shared import APPLIED, SYSTEM, audit
from ihospital.payments.services.applying import order_apply_status, refund_apply_status, refund_start
from ihospital.payments.services.orders import payment_close

logger = logging.getLogger(__name__)


def payment_query_pending(*, limit: int = 200) -> dict[str, int]:
    """Reconcile with the provider; return how many orders/refunds ended how (for the task's log).

    Orders still ``created`` PAYMENT_QUERY_AFTER_MINUTES after creation (or past ``expires_at``) are queried:
    SUCCESS is applied through the same once-only path as a notification (``paid``); past ``expires_at``
    and unpaid (or closed at the provider) they are closed (``closed``: CAS created → closed + outbox
    ``payments.close``). Refunds pending that long are queried too and settled when the provider has
    finished (``refunded`` / ``refund_failed``). Provider failures are logged and counted as ``error``;
    the next run tries again. Calls the provider: never run it inside a transaction.
    """
    moment = now()
    cutoff = moment - timedelta(minutes=settings.PAYMENT_QUERY_AFTER_MINUTES)
    counts: Counter[str] = Counter()
    orders = (
        PaymentOrder.objects.filter(status=PaymentOrder.Status.CREATED)
        .filter(Q(created_at__lte=cutoff) | Q(expires_at__lte=moment))
        .order_by("created_at")[:limit]
    )
    for order in orders:
        counts[_order_reconcile(order)] += 1
    refunds = (
        Refund.objects.filter(status=Refund.Status.PENDING, created_at__lte=cutoff)
        .select_related("order")
        .order_by("created_at")[:limit]
    )
    for refund in refunds:
        counts[_refund_reconcile(refund)] += 1
    unsold = payments_refund_unsold(limit=limit)
    if unsold:
        counts["refunded_unsold"] = unsold
    return dict(counts)


UNSOLD_REASON = "not delivered: refunded by reconciliation"


def payments_refund_unsold(*, limit: int = 200) -> int:
    """Last line of defence for money: a paid order, never refunded, whose payable will never be
    delivered (its ``unsold`` answer: a cancelled, declined or expired booking) is refunded in full, with
    an audit entry ``payment.unsold_refund``. Each service that ends a payable refunds it itself; this
    finds what a defect or a crash let through. Returns how many refunds it started."""
    paid = PaymentOrder.objects.filter(status=PaymentOrder.Status.PAID, refunded_fen=0, refunds__isnull=True)
    by_kind: dict[str, dict[str, int]] = {}
    for pk, kind, payable_id in paid.order_by("paid_at").values_list("pk", "payable_kind", "payable_id")[:limit]:
        by_kind.setdefault(kind, {})[payable_id] = pk
    started = 0
    for kind, orders in by_kind.items():
        for payable_id in payable(kind).unsold(payable_ids=list(orders)):
            started += _refund_unsold(orders[payable_id])
    return started


@transaction.atomic
def _refund_unsold(order_pk: int) -> int:
    order = PaymentOrder.objects.select_for_update().get(pk=order_pk)
    if order.status != PaymentOrder.Status.PAID or order.refunds.exists():  # refunded meanwhile
        return 0
    refund_start(
        order=order,
        amount_fen=order.amount_fen,
        reason=UNSOLD_REASON,
        idempotency_key=f"unsold-refund:{order.public_id}",
        actor=SYSTEM,
    )
    audit(actor=SYSTEM, action="payment.unsold_refund", order=order, amount_fen=order.amount_fen)
    logger.error(
        "order %s was paid for %s %s that ended unrefunded", order.out_trade_no, order.payable_kind, order.payable_id
    )
    return 1


def _provider_status(order: PaymentOrder) -> OrderStatus | None:
    """What the provider knows of the order; None if it was never sent there."""
    if not order.pay_url:
        return None
    try:
        return provider().query_order(order.out_trade_no)
    except PayProviderError as exc:
        if exc.code == PayProviderError.ORDER_NOT_FOUND:
            return None
        raise


def _order_reconcile(order: PaymentOrder) -> str:
    try:
        status = _provider_status(order)
        if status is not None and status.state in ("SUCCESS", "REFUND"):
            return "paid" if order_apply_status(order=order, status=status, source="query") == APPLIED else "unchanged"
        if (status is not None and status.state == "CLOSED") or order.expires_at <= now():
            payment_close(order=order, actor=SYSTEM)
            return "closed"
        return "unpaid"
    except PayProviderError as exc:
        logger.warning("query of order %s failed: %s (%s)", order.out_trade_no, exc, exc.code)
        return "error"
    except DomainError as error:  # a notification moved it meanwhile, or the provider's amount is wrong
        logger.warning("order %s not reconciled: %s", order.out_trade_no, error)
        return "unchanged"


def _refund_reconcile(refund: Refund) -> str:
    try:
        status = provider().query_refund(refund.out_refund_no)
    except PayProviderError as exc:
        if exc.code == PayProviderError.REFUND_NOT_FOUND:
            return "refund_unsent"  # the outbox is still trying to send it
        logger.warning("query of refund %s failed: %s (%s)", refund.out_refund_no, exc, exc.code)
        return "error"
    outcome = refund_apply_status(refund=refund, status=status, source="query")
    if outcome != APPLIED:
        return "refund_pending" if outcome == "pending" else "unchanged"
    return "refunded" if status.state == "SUCCESS" else "refund_failed"
