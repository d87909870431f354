"""A cancel decides its refund from the state its compare-and-set really left, not from the caller's
earlier read: a payment landing between the two is refunded, never kept for a cancelled booking."""

import pytest

from ihospital.appointments.models import Appointment
from ihospital.appointments.services import appointment_book, appointment_cancel, appointment_checkout
from ihospital.appointments.tests.factories import SYSTEM, booking, online_schedule, visit_person
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.integrations.payproviders.sandbox import trades
from ihospital.payments.models import PaymentOrder, Refund


@pytest.fixture
def stale_unpaid(alice, dr_bob, commit):
    """The patient's page read the booking while unpaid; then the payment landed."""
    with commit():
        appointment = appointment_book(
            account=alice, data=booking(visit_person(alice), online_schedule(dr_bob)), actor=Actor.of(alice)
        )
    appointment_checkout(appointment=appointment, actor=SYSTEM)
    order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
    with commit():
        trades.pay(order.out_trade_no)
    assert Appointment.objects.get(pk=appointment.pk).status == "requested"
    assert appointment.status == "pending_payment"  # what the cancelling request still holds
    return appointment, order


def test_a_cancel_holding_a_stale_unpaid_read_refunds_the_payment_that_landed(alice, stale_unpaid):
    appointment, order = stale_unpaid
    appointment_cancel(account=alice, appointment=appointment, actor=SYSTEM)
    order.refresh_from_db()
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    assert order.status in ("refunding", "refunded")
    assert Refund.objects.filter(order=order, amount_fen=order.amount_fen).count() == 1
    entry = AuditEvent.objects.get(action="appointment.cancel")
    assert entry.details["refund"] is True and entry.details["from"] == "requested"


def test_reconciliation_refunds_a_cancelled_booking_left_with_a_paid_order(alice, stale_unpaid, commit):
    """What the old cancel left behind (booking cancelled, order paid, no refund) is found and refunded."""
    from ihospital.payments.services import payment_query_pending

    appointment, order = stale_unpaid
    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled")  # the state the defect left
    with commit():
        assert payment_query_pending()["refunded_unsold"] == 1
    assert Refund.objects.get(order=order).amount_fen == order.amount_fen
    assert AuditEvent.objects.filter(action="payment.unsold_refund", target_id=str(order.public_id)).exists()
