"""Payment reads."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from ihospital.core.errors import CoreError, DomainError
from ihospital.payments.models import PaymentOrder


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
