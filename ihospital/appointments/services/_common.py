from __future__ import annotations

from ihospital.appointments.models import Appointment
from ihospital.core.state import transition
from ihospital.payments import services as payments
from ihospital.payments.models import PaymentOrder
from ihospital.scheduling.models import Slot


def move(appointment: Appointment, to: str, *, transitions=Appointment.TRANSITIONS, **changes) -> str:
    """Compare-and-set the appointment's state; return the state it really left (decide side effects from
    that, not from an earlier read). A coded error, nothing changed, if not allowed from there."""
    left = transition(Appointment, pk=appointment.pk, to=to, transitions=transitions, **changes)
    appointment.refresh_from_db()
    return left


def release_slot(appointment: Appointment) -> None:
    """The place returns to the pool (held or booked → free)."""
    Slot.objects.filter(pk=appointment.slot_id, status__in=[Slot.Status.HELD, Slot.Status.BOOKED]).update(
        status=Slot.Status.FREE
    )


def payment_order(appointment: Appointment) -> PaymentOrder | None:
    if appointment.payment_order_public_id is None:
        return None
    return PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)


def lock_payment_order(appointment: Appointment) -> None:
    """Take the booking's payment order row lock before touching the booking. A payment notification
    locks the order and then the booking (``on_paid``); a cancel that locked the booking first and then
    the order would deadlock against it. Same order everywhere: order, booking, slot."""
    if appointment.payment_order_public_id is not None:
        PaymentOrder.objects.select_for_update().filter(public_id=appointment.payment_order_public_id).first()


def refund_in_full(appointment: Appointment, *, reason: str, actor) -> None:
    """Refund what was paid (nothing to do for a free clinic), once per appointment."""
    order = payment_order(appointment)
    if order is None or order.status not in (PaymentOrder.Status.PAID,):
        return
    payments.payment_refund_request(
        order=order,
        amount_fen=order.amount_fen - order.refunded_fen,
        reason=reason,
        idempotency_key=f"appointment-refund:{appointment.public_id}",
        actor=actor,
    )
    Appointment.objects.filter(pk=appointment.pk).update(refund_requested=True)


def close_unpaid_order(appointment: Appointment, *, actor) -> None:
    order = payment_order(appointment)
    if order is not None and order.status == PaymentOrder.Status.CREATED:
        payments.payment_close(order=order, actor=actor)
