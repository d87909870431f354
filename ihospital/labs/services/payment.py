"""The patient pays for an order: a payment order for the ``lab_order`` payable, then the provider's cashier.

What happens when the money arrives or goes back is in ``labs/payables.py`` (payments calls it)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext

from ihospital.accounts.models import User
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.labs.errors import LabError
from ihospital.labs.models import LabOrder
from ihospital.payments import services as payments
from ihospital.payments.models import PaymentOrder
from ihospital.payments.selectors import payment_order_for_payable

PAYABLE_KIND = "lab_order"
BACK_FROM_CASHIER = "back"


def _description(order: LabOrder) -> str:
    return gettext("Lab tests") if order.kind == LabOrder.Kind.LAB else gettext("Exam")


@transaction.atomic
def _payment_order(*, account: User, order: LabOrder, actor: Actor) -> PaymentOrder:
    """The order's payment order awaiting payment, or a new one (the earlier one was closed or ran out)."""
    LabOrder.objects.select_for_update().filter(pk=order.pk).first()  # one payment order at a time per order
    current = payment_order_for_payable(payable_kind=PAYABLE_KIND, payable_id=str(order.public_id))
    if current is not None and current.status == PaymentOrder.Status.CREATED and current.expires_at > now():
        return current
    if current is not None and current.status == PaymentOrder.Status.CREATED:
        payments.payment_close(order=current, actor=actor)
    created = payments.payment_order_create(
        payer=account,
        payable_kind=PAYABLE_KIND,
        payable_id=str(order.public_id),
        amount_fen=order.amount_fen,
        description=_description(order),
        expires_at=now() + timedelta(minutes=settings.LAB_PAYMENT_MINUTES),
        actor=actor,
    )
    LabOrder.objects.filter(pk=order.pk).update(payment_order_public_id=created.public_id)
    return created


def lab_order_checkout(*, account: User, order: LabOrder, actor: Actor) -> str:
    """The provider's payment page for an order awaiting payment; the payer comes back to the order's page.

    Preconditions: ``order`` was fetched with ``access_lab_order`` for ``account`` (the payer). Outside any
    transaction (the provider is called).
    Refuses: lab.illegal_transition (not awaiting payment: paid, cancelled …), the payment.* refusals of
    ``payment_checkout`` (provider unavailable …).
    Side effects: a payment order (``payment.order_create`` audited) unless one is still payable.
    """
    if order.status != LabOrder.Status.ORDERED:
        raise DomainError(LabError.ILLEGAL_TRANSITION, current=order.get_status_display())
    payment_order = _payment_order(account=account, order=order, actor=actor)
    page = reverse("labs:detail", args=[order.public_id])
    back = f"{settings.PUBLIC_BASE_URL.rstrip('/')}{page}?checkout={BACK_FROM_CASHIER}"
    return payments.payment_checkout(order=payment_order, actor=actor, return_url=back)
