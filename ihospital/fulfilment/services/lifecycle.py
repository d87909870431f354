"""A released prescription's money and time: paid (through the payable), expired unpaid, voided by its doctor.

Side effects are decided from the state the compare-and-set actually moved from, never from an earlier read:
a void that moved ``paid → void`` refunds the payment (and cancels the HIS pharmacy's reservation); one that
moved ``released → void`` closes the unpaid order, so a payment arriving later is refunded by payments.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from ihospital.audit.services import Actor, record
from ihospital.core import outbox
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.fulfilment.errors import FulfilmentError
from ihospital.fulfilment.models import Fulfilment
from ihospital.fulfilment.notify import notify_patient
from ihospital.payments.models import PaymentOrder
from ihospital.payments.selectors import payment_order_for_payable
from ihospital.payments.services import payment_close, payment_refund_request
from ihospital.prescriptions.models import Prescription

S = Prescription.Status
PAYABLE_KIND = "prescription"
SYSTEM = Actor.system("fulfilment")


def _audit(actor: Actor, action: str, prescription: Prescription, **details: Any) -> None:
    record(
        actor=actor, action=action, target_type="prescription", target_id=str(prescription.public_id), details=details
    )


def _his_transfer_enqueue(prescription: Prescription) -> None:
    """处方发药: the paid prescription to the HIS pharmacy, once (the transaction id is the idempotency key)."""
    outbox.enqueue(
        topic="fulfilment.his_dispense",
        payload={"prescription": str(prescription.public_id), "transaction_id": f"FY-{prescription.public_id}"},
        idempotency_key=f"FY-{prescription.public_id}",
        correlation_id=str(prescription.public_id),
    )


@transaction.atomic
def prescription_paid(*, prescription_public_id: str, order_public_id: str) -> bool:
    """The payment arrived (called by the payable inside payments' transaction).

    Moves released → paid by compare-and-set, only while the prescription is valid and has its delivery or
    pickup chosen; records the order, enqueues the transfer to the HIS pharmacy, tells the patient.
    Returns False (nothing changed) when it expired, was voided, or was paid already: payments refunds.
    """
    moved = Prescription.objects.filter(
        public_id=prescription_public_id, status=S.RELEASED, valid_until__gt=now(), fulfilment__isnull=False
    ).update(status=S.PAID, paid_at=now(), payment_order_public_id=order_public_id)
    if not moved:
        return False
    prescription = Prescription.objects.select_related("visit_person__account").get(public_id=prescription_public_id)
    _audit(SYSTEM, "prescription.paid", prescription, order=order_public_id)
    _his_transfer_enqueue(prescription)
    notify_patient(
        prescription=prescription,
        event="paid",
        title=gettext_noop("Prescription paid"),
        body=gettext_noop("[ihospital] Payment received for %(name)s's prescription. The pharmacy is preparing it."),
    )
    return True


@transaction.atomic
def prescription_his_transferred(*, prescription: Prescription, dispense_no: str) -> None:
    """The HIS pharmacy took the prescription (its dispensing number); a repeat changes nothing.
    Audited ``prescription.his_transferred``."""
    if Fulfilment.objects.filter(prescription=prescription, his_dispense_no="").update(
        his_dispense_no=dispense_no, his_transferred_at=now()
    ):
        _audit(SYSTEM, "prescription.his_transferred", prescription, dispense_no=dispense_no)


def _lock_orders(prescription_public_id: Any) -> None:
    """Row-lock the prescription's payment orders before moving the prescription: a payment being applied
    locks its order and then moves the prescription (the payable), so taking them in the same order here
    makes the two wait for each other instead of deadlocking."""
    list(
        PaymentOrder.objects.select_for_update()
        .filter(payable_kind=PAYABLE_KIND, payable_id=str(prescription_public_id))
        .values_list("pk", flat=True)
    )


def _close_unpaid_order(prescription: Prescription, actor: Actor) -> None:
    order = payment_order_for_payable(payable_kind=PAYABLE_KIND, payable_id=str(prescription.public_id))
    if order is not None and order.status == PaymentOrder.Status.CREATED:
        try:
            payment_close(order=order, actor=actor)
        except DomainError:
            pass  # paid meanwhile: on_paid finds the prescription gone and payments refunds it


def prescriptions_expire_due(*, limit: int = 500) -> int:
    """Expire released prescriptions left unpaid past their validity (the periodic sweep); how many expired.
    Each in its own transaction: released → expired by compare-and-set (a payment that won the race keeps
    it paid), the unpaid order closed, audited ``prescription.expired``, the patient told."""
    due = Prescription.objects.filter(status=S.RELEASED, valid_until__lte=now()).values_list("pk", "public_id")
    expired = 0
    for pk, public_id in list(due[:limit]):
        with transaction.atomic():
            _lock_orders(public_id)
            try:
                transition(Prescription, pk=pk, to=S.EXPIRED, transitions=Prescription.TRANSITIONS, expired_at=now())
            except DomainError:
                continue
            prescription = Prescription.objects.select_related("visit_person__account").get(pk=pk)
            _close_unpaid_order(prescription, SYSTEM)
            _audit(SYSTEM, "prescription.expired", prescription)
            notify_patient(
                prescription=prescription,
                event="expired",
                title=gettext_noop("Prescription expired"),
                body=gettext_noop("[ihospital] %(name)s's prescription expired unpaid. Book a follow-up if needed."),
            )
            expired += 1
    return expired


def _void_checked(prescription: Prescription, doctor: Any, reason: str) -> str:
    if prescription.doctor_id != doctor.pk:
        raise DomainError(FulfilmentError.NOT_YOUR_PRESCRIPTION)
    reason = " ".join(reason.split())
    if not 2 <= len(reason) <= 300:
        raise DomainError(FulfilmentError.VOID_REASON)
    return reason


@transaction.atomic
def prescription_void(*, prescription: Prescription, doctor: Any, reason: str, actor: Actor) -> str:
    """The prescribing doctor voids the prescription before it is dispensed; returns the state it left.

    Errors: fulfilment.not_prescriber, fulfilment.void_reason, fulfilment.not_voidable (dispensed or later,
    expired, void). Side effects, by the state moved from: ``paid`` → a full refund through payments
    (idempotent key) and, if the HIS pharmacy already reserved it, a cancellation there (outbox);
    ``released`` → the unpaid order closed. Audited ``prescription.voided``; a released one's patient told.
    """
    reason = _void_checked(prescription, doctor, reason)
    _lock_orders(prescription.public_id)
    try:
        moved_from = transition(
            Prescription,
            pk=prescription.pk,
            to=S.VOID,
            transitions=Prescription.TRANSITIONS,
            voided_at=now(),
            voided_by=doctor,
            void_reason=reason,
        )
    except DomainError as refused:
        prescription.refresh_from_db(fields=["status"])
        raise DomainError(FulfilmentError.NOT_VOIDABLE, current=prescription.get_status_display()) from refused
    prescription = Prescription.objects.select_related("visit_person__account").get(pk=prescription.pk)
    if moved_from == S.PAID:
        _refund_and_release_stock(prescription, actor)
    elif moved_from == S.RELEASED:
        _close_unpaid_order(prescription, actor)
    _audit(actor, "prescription.voided", prescription, moved_from=moved_from, reason=reason)
    if prescription.released_at is not None:
        notify_patient(
            prescription=prescription,
            event="voided",
            title=gettext_noop("Prescription voided"),
            body=gettext_noop("[ihospital] The doctor voided %(name)s's prescription. Any payment is refunded."),
        )
    return moved_from


def _refund_and_release_stock(prescription: Prescription, actor: Actor) -> None:
    order = payment_order_for_payable(payable_kind=PAYABLE_KIND, payable_id=str(prescription.public_id))
    assert order is not None and prescription.payment_order_public_id == order.public_id  # paid through it
    payment_refund_request(
        order=order,
        amount_fen=order.amount_fen,
        reason="处方作废",
        idempotency_key=f"rx-void:{prescription.public_id}",
        actor=actor,
    )
    outbox.enqueue(
        topic="fulfilment.his_cancel_dispense",
        payload={"prescription": str(prescription.public_id), "transaction_id": f"FYC-{prescription.public_id}"},
        idempotency_key=f"FYC-{prescription.public_id}",
        correlation_id=str(prescription.public_id),
    )
