"""Cancelling an order not yet performed: by the patient (until the booked time's cut-off) or by the
ordering doctor. The refund follows from the state the compare-and-set really left, not from a read."""

from __future__ import annotations

from django.db import transaction

from ihospital.accounts.models import Role, User
from ihospital.audit.services import Actor, record
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import now
from ihospital.labs import notify
from ihospital.labs.errors import LabError
from ihospital.labs.models import ACTIVE_BOOKING, ExamBooking, LabOrder
from ihospital.labs.services._common import move, refusals_audited
from ihospital.labs.services.booking import change_closes_at, release_place
from ihospital.payments import services as payments
from ihospital.payments.models import PaymentOrder
from ihospital.payments.selectors import payment_order_for_payable

PAYABLE_KIND = "lab_order"


def _lock_payment_order(order: LabOrder) -> None:
    """The payment order's row lock before the order's: a payment notification locks the payment order, then
    moves the lab order (``on_paid``); the same order everywhere avoids a deadlock."""
    PaymentOrder.objects.select_for_update().filter(payable_kind=PAYABLE_KIND, payable_id=str(order.public_id)).first()


def _refund_in_full(order: LabOrder, *, actor: Actor) -> bool:
    if order.payment_order_public_id is None:
        return False
    payment = PaymentOrder.objects.filter(public_id=order.payment_order_public_id).first()
    if payment is None or payment.status != PaymentOrder.Status.PAID:
        return False
    payments.payment_refund_request(
        order=payment,
        amount_fen=payment.amount_fen - payment.refunded_fen,
        reason="lab/exam order cancelled",
        idempotency_key=f"lab-order-refund:{order.public_id}",
        actor=actor,
    )
    LabOrder.objects.filter(pk=order.pk).update(refund_requested=True)
    return True


def _close_unpaid(order: LabOrder, *, actor: Actor) -> None:
    payment = payment_order_for_payable(payable_kind=PAYABLE_KIND, payable_id=str(order.public_id))
    if payment is not None and payment.status == PaymentOrder.Status.CREATED:
        payments.payment_close(order=payment, actor=actor)


@transaction.atomic
def _cancel(*, by: User, order: LabOrder, reason: str, actor: Actor) -> str:
    _lock_payment_order(order)
    booking = ExamBooking.objects.select_related("session").filter(order=order, status=ACTIVE_BOOKING).first()
    left = move(order, LabOrder.Status.CANCELLED, cancelled_at=now(), cancel_reason=reason)
    if booking is not None:
        if by.role == Role.PATIENT and change_closes_at(booking.session) <= now():
            raise DomainError(LabError.CHANGE_CLOSED)  # rolls the move back
        release_place(booking, to=ExamBooking.Status.CANCELLED)
    refund = left in LabOrder.REFUNDABLE and _refund_in_full(order, actor=actor)
    if left == LabOrder.Status.ORDERED:
        _close_unpaid(order, actor=actor)
    record(
        actor=actor,
        action="lab_order.cancel",
        target_type="lab_order",
        target_id=str(order.public_id),
        details={"from": left, "refund": refund, "reason": reason},
    )
    notify.order_cancelled(order=order, refund=refund)
    return left


def lab_order_cancel(*, by: User, order: LabOrder, reason: str, actor: Actor) -> str:
    """Cancel an order that was not performed; return the state it left. Paid (or booked): refunded in full
    and the booked place freed. Unpaid: a payment order still open is closed (a payment landing later is
    refunded by payments, ``on_paid`` answering no).

    ``by`` is the patient (the account of the order's visit person; refused from the cut-off before the
    booked time) or the ordering doctor.
    Refuses (nothing changed, audited): core.not_found (anyone else), lab.cancel_reason (over 300 characters),
    lab.change_closed, lab.illegal_transition (performed, reported or cancelled already).
    Side effects: order → cancelled; the booking → cancelled and the session's place back; a refund request
    (the provider through the outbox; the HIS refund follows when it succeeds); audit; notice.
    """
    with refusals_audited(actor=actor, action="lab_order.cancel", target_id=str(order.public_id)):
        if by.pk not in (order.visit_person.account_id, order.doctor_id):
            raise DomainError(CoreError.NOT_FOUND)
        reason = reason.strip()
        if len(reason) > 300:
            raise DomainError(LabError.CANCEL_REASON)
        return _cancel(by=by, order=order, reason=reason, actor=actor)
