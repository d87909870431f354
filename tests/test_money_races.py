"""Money races that need real row locks (PostgreSQL; CI runs them): a payment landing while the patient
cancels, and a schedule stopped while its patients pay. Whatever the interleaving, a booking that ends
cancelled never keeps the patient's money, and nothing deadlocks or fails."""

from __future__ import annotations

from ihospital.audit.services import Actor
from ihospital.core.testing.concurrency import needs_row_locks, race

pytestmark = needs_row_locks

ROUNDS = 12


def _unpaid_bookings(doctor, n: int):
    from ihospital.appointments.services import appointment_book, appointment_checkout
    from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
    from ihospital.core.testing.personas import make_user

    clinic = online_schedule(doctor, capacity=n)
    made = []
    for i in range(n):
        patient = make_user(f"payer{i}", "patient", phone=f"1391111{i:04d}")
        appointment = appointment_book(
            account=patient, data=booking(visit_person(patient, i + 1), clinic), actor=Actor.of(patient)
        )
        appointment_checkout(appointment=appointment, actor=Actor.system())
        _paid_at_the_provider(appointment)
        made.append((patient, appointment))
    return clinic, made


def _paid_at_the_provider(appointment) -> None:
    """The patient paid in the cashier: the provider's trade succeeded; its notification is yet to land."""
    from ihospital.core.time import now
    from ihospital.integrations.models import SandboxPayment
    from ihospital.payments.models import PaymentOrder

    order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
    SandboxPayment.objects.filter(out_trade_no=order.out_trade_no).update(
        state="SUCCESS", transaction_id=f"T{order.pk}", paid_at=now()
    )


def _pay(appointment) -> str:
    """The provider's notification lands: the app applies the payment."""
    from ihospital.payments.models import PaymentOrder
    from ihospital.payments.services.applying import PaidFacts, payment_apply

    order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
    facts = PaidFacts(amount_fen=order.amount_fen, transaction_id=f"T{order.pk}", paid_at=None, source="notification")
    return payment_apply(order=order, facts=facts, actor=Actor.system("payments"))


def _assert_money_follows_the_booking(appointment) -> str:
    from ihospital.appointments.models import Appointment
    from ihospital.payments.models import PaymentOrder

    status = Appointment.objects.get(pk=appointment.pk).status
    order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
    if status == "cancelled":
        refunding = order.refunds.filter(amount_fen=order.amount_fen).count()
        assert (order.status, refunding) in {("closed", 0), ("refunding", 1), ("refunded", 1)}, (
            status,
            list(order.refunds.values_list("status", "reason")),
        )
    else:
        assert (status, order.status) == ("requested", "paid")
        assert not order.refunds.exists()
    return status


def test_a_payment_racing_the_patients_cancel_is_never_kept_for_a_cancelled_booking(dr_bob):
    from ihospital.appointments.services import appointment_cancel

    _clinic, made = _unpaid_bookings(dr_bob, ROUNDS)
    outcomes = []
    for patient, appointment in made:  # the cancel holds the page's earlier, unpaid read of the booking
        results = race(
            2,
            lambda i, p=patient, a=appointment: (
                _pay(a) if i == 0 else appointment_cancel(account=p, appointment=a, actor=Actor.of(p))
            ),
        )
        refused = "core.illegal_transition"
        errors = [r for r in results if isinstance(r, Exception) and getattr(r, "code", "") != refused]
        assert not errors, errors  # no deadlock, no server error: only a coded refusal of a late cancel
        outcomes.append(_assert_money_follows_the_booking(appointment))
    assert "cancelled" in outcomes  # the race was run, not skipped by ordering


def test_a_schedule_stopped_while_its_patients_pay_refunds_every_payment(dr_bob):
    from ihospital.consultations.services import schedule_stop

    clinic, made = _unpaid_bookings(dr_bob, ROUNDS)
    results = race(
        ROUNDS + 1,
        lambda i: (
            schedule_stop(schedule=clinic, reason="专家临时停诊", actor=Actor.system())
            if i == ROUNDS
            else _pay(made[i][1])
        ),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {_assert_money_follows_the_booking(a) for _p, a in made} == {"cancelled"}
