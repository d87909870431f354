"""Payment reads."""

from __future__ import annotations

import logging
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet

from ihospital.core.errors import CoreError, DomainError
from ihospital.integrations.payproviders import provider
from ihospital.integrations.payproviders.base import PayProviderError
from ihospital.payments.models import HisMismatch, PaymentOrder

logger = logging.getLogger(__name__)


def access_payment_order(*, user, public_id: UUID | str) -> PaymentOrder:
    """The payer's own order. Someone else's (or a malformed id) is not found (core.not_found)."""
    try:
        return PaymentOrder.objects.get(public_id=public_id, payer=user)
    except (PaymentOrder.DoesNotExist, ValidationError, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None


def payment_receipts(*, user) -> QuerySet[PaymentOrder]:
    """The payer's orders that took money (paid, refunding or refunded), newest first, with their refunds."""
    return (
        PaymentOrder.objects.filter(payer=user)
        .exclude(status__in=[PaymentOrder.Status.CREATED, PaymentOrder.Status.CLOSED])
        .prefetch_related("refunds")
    )


def payment_order_for_payable(*, payable_kind: str, payable_id: str) -> PaymentOrder | None:
    """The latest order of a payable (for the payable's own screens and refunds)."""
    return PaymentOrder.objects.filter(payable_kind=payable_kind, payable_id=str(payable_id)).first()


def payment_paid_at_provider(order: PaymentOrder) -> bool | None:
    """Has the payer paid ``order``, as far as the provider says right now? True also while its
    notification is on the way (not applied here yet); False if not paid (the payer left the cashier or
    has not been there); None if the order never reached the provider or the provider did not answer.

    Reads only: the notification, or the periodic reconciliation, applies a payment. Calls the provider
    when the order is still awaiting payment: never inside a transaction.
    """
    if order.status != PaymentOrder.Status.CREATED:
        return order.status != PaymentOrder.Status.CLOSED
    if not order.pay_url:
        return None
    try:
        state = provider().query_order(order.out_trade_no).state
    except PayProviderError as exc:
        logger.warning("query of order %s failed: %s (%s)", order.out_trade_no, exc, exc.code)
        return None
    return state in ("SUCCESS", "REFUND")


def his_mismatches(*, open_only: bool = False) -> QuerySet[HisMismatch]:
    """The reconciliation's differences, the unresolved first, newest day first."""
    found = HisMismatch.objects.select_related("resolved_by")
    if open_only:
        found = found.filter(resolved_at__isnull=True)
    return found.order_by(F("resolved_at").desc(nulls_first=True), "-day", "kind", "reference")


def access_his_mismatch(*, public_id: UUID | str) -> HisMismatch:
    try:
        return HisMismatch.objects.get(public_id=public_id)
    except (HisMismatch.DoesNotExist, ValueError, TypeError, ValidationError):
        raise DomainError(CoreError.NOT_FOUND) from None
