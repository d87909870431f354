"""Payment orders: create one for a payable, send the payer to the provider's cashier, close it."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from ihospital.audit.services import Actor
from ihospital.core import outbox
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.integrations.payproviders import provider
from ihospital.integrations.payproviders.base import CreateOrder, PayProviderError
from ihospital.payments.errors import PaymentError
from ihospital.payments.models import PaymentOrder
from ihospital.payments.services._shared import audit, notify_url, receipt_url

logger = logging.getLogger(__name__)
Status = PaymentOrder.Status


def payment_order_create(
    *,
    payer,
    payable_kind: str,
    payable_id: str,
    amount_fen: int,
    description: str,
    expires_at: datetime,
    actor: Actor,
) -> PaymentOrder:
    """Create the order a payer must pay for ``payable_kind``/``payable_id`` before ``expires_at``.

    Preconditions: ``payable_kind`` is a key of settings.PAYABLES (else ValueError: a programming error).
    May run inside the caller's transaction (a savepoint keeps a refusal from breaking it); it calls no
    provider — ``payment_checkout`` does, after commit.
    Refuses: payment.invalid_amount, payment.expired (``expires_at`` already past), payment.order_exists
    (this payable already has an order awaiting payment).
    Side effects: a PaymentOrder in ``created`` with a fresh out_trade_no, an audit entry ``payment.order_create``.
    """
    if payable_kind not in settings.PAYABLES:
        raise ValueError(f"no payable registered for kind {payable_kind!r} (settings.PAYABLES)")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError(PaymentError.INVALID_AMOUNT)
    if expires_at <= now():
        raise DomainError(PaymentError.EXPIRED)
    try:
        with transaction.atomic():
            order = PaymentOrder.objects.create(
                payer=payer,
                payable_kind=payable_kind,
                payable_id=str(payable_id),
                amount_fen=amount_fen,
                description=str(description)[:127],
                expires_at=expires_at,
                provider=provider().name,
            )
            audit(
                actor=actor,
                action="payment.order_create",
                order=order,
                payable_kind=payable_kind,
                payable_id=str(payable_id),
                amount_fen=amount_fen,
            )
    except IntegrityError:
        raise DomainError(PaymentError.ORDER_EXISTS) from None
    return order


def payment_checkout(*, order: PaymentOrder, actor: Actor, return_url: str | None = None) -> str:
    """The provider's payment page (pay URL) for ``order``; the browser is sent there.

    Call it OUTSIDE any transaction, after the order committed: it calls the provider. Idempotent: an
    order that already has a pay URL gets the same one back without calling the provider again.
    ``return_url`` is where the provider sends the payer afterwards (default: the order's receipt page).
    Refuses: payment.illegal_state (not awaiting payment), payment.expired, payment.provider_unavailable.
    Side effects: the order's pay_url, an audit entry ``payment.checkout`` (first time only).
    """
    order.refresh_from_db()
    if order.status != Status.CREATED:
        raise DomainError(PaymentError.ILLEGAL_STATE, current=order.get_status_display())
    if order.expires_at <= now():
        raise DomainError(PaymentError.EXPIRED)
    if order.pay_url:
        return order.pay_url
    gateway = provider()
    request = CreateOrder(
        out_trade_no=order.out_trade_no,
        amount_fen=order.amount_fen,
        description=order.description,
        notify_url=notify_url(gateway.name),
        return_url=return_url or receipt_url(order),
        expires_at=order.expires_at,
    )
    try:
        created = gateway.create_order(request)
    except PayProviderError as exc:
        logger.warning("create_order %s failed: %s (%s)", order.out_trade_no, exc, exc.code)
        if exc.code == PayProviderError.ORDER_CLOSED:
            raise DomainError(PaymentError.EXPIRED) from exc
        raise DomainError(PaymentError.PROVIDER_UNAVAILABLE) from exc
    with transaction.atomic():
        stored = PaymentOrder.objects.filter(pk=order.pk, status=Status.CREATED, pay_url="").update(
            pay_url=created.pay_url
        )
        if stored:
            audit(actor=actor, action="payment.checkout", order=order)
    order.refresh_from_db()
    if order.status != Status.CREATED:  # closed or paid while we were at the provider
        raise DomainError(PaymentError.ILLEGAL_STATE, current=order.get_status_display())
    return order.pay_url


@transaction.atomic
def payment_close(*, order: PaymentOrder, actor: Actor) -> PaymentOrder:
    """Give up on an unpaid order (the payable's hold expired, or the time to pay ran out).

    Closing a closed order again does nothing. Refuses: payment.illegal_state (already paid or later —
    the money arrived first; the payable was told through ``on_paid``).
    Side effects: created → closed (compare-and-set), an outbox message ``payments.close`` that closes it
    at the provider, an audit entry ``payment.closed``.
    """
    if PaymentOrder.objects.filter(pk=order.pk, status=Status.CLOSED).exists():
        order.refresh_from_db()
        return order
    transition(
        PaymentOrder,
        pk=order.pk,
        to=Status.CLOSED,
        transitions=PaymentOrder.TRANSITIONS,
        error=PaymentError.ILLEGAL_STATE,
        closed_at=now(),
    )
    outbox.enqueue(
        topic="payments.close",
        payload={"out_trade_no": order.out_trade_no},
        idempotency_key=f"payments.close:{order.out_trade_no}",
    )
    audit(actor=actor, action="payment.closed", order=order)
    order.refresh_from_db()
    return order
