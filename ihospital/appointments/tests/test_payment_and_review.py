"""The paid path: the sandbox's signed notification moves a booking to the doctor; the doctor accepts or
declines (full refund); late payments and cancellations are refunded."""

from datetime import timedelta

import pytest

from ihospital.appointments.models import Appointment
from ihospital.appointments.services import (
    appointment_accept,
    appointment_book,
    appointment_cancel,
    appointment_checkout,
    appointment_expire_hold,
    appointment_reject,
    appointments_reject_unreviewed,
)
from ihospital.appointments.tests.factories import SYSTEM, booking, online_schedule, visit_person
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.integrations.payproviders.sandbox import trades
from ihospital.payments.models import PaymentOrder
from ihospital.scheduling.models import Slot


@pytest.fixture
def booked(alice, dr_bob, commit):
    with commit():
        appointment = appointment_book(
            account=alice, data=booking(visit_person(alice), online_schedule(dr_bob)), actor=Actor.of(alice)
        )
    return appointment


def pay(appointment, commit):
    """What the patient does on the cashier page; the sandbox then notifies asynchronously."""
    pay_url = appointment_checkout(appointment=appointment, actor=SYSTEM)
    order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
    assert order.out_trade_no in pay_url
    with commit():
        trades.pay(order.out_trade_no)
    appointment.refresh_from_db()
    return order


def test_payment_moves_the_booking_to_the_doctor_and_books_the_slot(booked, commit):
    order = pay(booked, commit)
    assert booked.status == "requested" and booked.paid_at is not None
    assert Slot.objects.get(pk=booked.slot_id).status == "booked"
    order.refresh_from_db()
    assert order.status == "paid"


def test_doctor_accepts_after_confirming_the_prior_diagnosis(booked, dr_bob, commit):
    pay(booked, commit)
    with pytest.raises(DomainError) as unconfirmed:
        appointment_accept(doctor=dr_bob, appointment=booked, prior_diagnosis_confirmed=False, actor=SYSTEM)
    assert unconfirmed.value.code == "appointment.invalid"
    appointment_accept(doctor=dr_bob, appointment=booked, prior_diagnosis_confirmed=True, actor=SYSTEM)
    booked.refresh_from_db()
    assert (booked.status, booked.reviewed_by, booked.prior_diagnosis_confirmed) == ("accepted", dr_bob, True)
    with pytest.raises(DomainError) as again:
        appointment_reject(doctor=dr_bob, appointment=booked, reason="changed my mind", actor=SYSTEM)
    assert again.value.code == "core.illegal_transition"


def test_doctor_declines_and_the_fee_is_refunded_in_full(booked, dr_bob, commit):
    order = pay(booked, commit)
    with commit():
        appointment_reject(doctor=dr_bob, appointment=booked, reason="请先到门诊面诊", actor=SYSTEM)
    booked.refresh_from_db()
    order.refresh_from_db()
    assert booked.status == "rejected" and booked.refunded
    assert (order.status, order.refunded_fen) == ("refunded", order.amount_fen)
    assert Slot.objects.get(pk=booked.slot_id).status == "free"
    assert AuditEvent.objects.filter(action="appointment.reject", target_id=str(booked.public_id)).exists()


def test_a_payment_arriving_after_the_hold_expired_is_refunded_automatically(booked, commit):
    order = PaymentOrder.objects.get(public_id=booked.payment_order_public_id)
    pay_url = appointment_checkout(appointment=booked, actor=SYSTEM)
    assert pay_url
    Appointment.objects.filter(pk=booked.pk).update(hold_expires_at=now() - timedelta(seconds=1))
    with commit():
        trades.pay(order.out_trade_no)  # the patient paid just before the page timed out …
        appointment_expire_hold(appointment_pk=booked.pk)  # … and the expiry won the race
    booked.refresh_from_db()
    order.refresh_from_db()
    assert booked.status == "expired"
    assert order.refunded_fen == order.amount_fen


def test_cancelling_before_acceptance_refunds_in_full(booked, alice, commit):
    order = pay(booked, commit)
    with commit():
        appointment_cancel(account=alice, appointment=booked, actor=Actor.of(alice))
    order.refresh_from_db()
    assert order.status == "refunded"


def test_an_accepted_booking_cannot_be_cancelled_within_two_hours(alice, dr_bob, commit):
    with commit():
        soon = appointment_book(
            account=alice,
            actor=SYSTEM,
            data=booking(
                visit_person(alice), online_schedule(dr_bob, starts_in=timedelta(minutes=90), period="evening")
            ),
        )
    pay(soon, commit)
    appointment_accept(doctor=dr_bob, appointment=soon, prior_diagnosis_confirmed=True, actor=SYSTEM)
    with pytest.raises(DomainError) as late:
        appointment_cancel(account=alice, appointment=soon, actor=SYSTEM)
    assert late.value.code == "appointment.cancel_too_late" and late.value.params == {"hours": 2}
    soon.refresh_from_db()
    assert soon.status == "accepted"


def test_requests_not_reviewed_by_the_session_start_are_declined_and_refunded(booked, commit):
    order = pay(booked, commit)
    booked.schedule.__class__.objects.filter(pk=booked.schedule_id).update(starts_at=now() - timedelta(minutes=1))
    with commit():
        assert appointments_reject_unreviewed() == 1
    booked.refresh_from_db()
    order.refresh_from_db()
    assert booked.status == "rejected" and order.status == "refunded"


def test_another_doctor_cannot_review(booked, dr_erin, commit):
    from ihospital.appointments.selectors import access_appointment_for_doctor

    pay(booked, commit)
    with pytest.raises(DomainError) as hidden:
        access_appointment_for_doctor(user=dr_erin, public_id=booked.public_id, actor=SYSTEM)
    assert hidden.value.code == "core.not_found"
