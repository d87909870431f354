"""Booking holds a slot for payment; the rules of who may book what, when."""

from datetime import timedelta

import pytest

from ihospital.appointments.models import Appointment
from ihospital.appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_expire_hold,
    appointments_expire_due_holds,
)
from ihospital.appointments.tests.factories import SYSTEM, booking, online_schedule, visit_person
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.payments.models import PaymentOrder
from ihospital.scheduling.models import Slot


def book(account, data):
    return appointment_book(account=account, data=data, actor=Actor.of(account))


def refused(code, account, data):
    with pytest.raises(DomainError) as error:
        book(account, data)
    assert error.value.code == code
    return error.value


@pytest.fixture
def clinic(dr_bob):
    return online_schedule(dr_bob, capacity=3)


def test_booking_holds_a_slot_and_creates_a_payment_order(alice, clinic):
    appointment = book(alice, booking(visit_person(alice), clinic))
    assert appointment.status == "pending_payment"
    assert appointment.slot.status == "held" and appointment.slot.number == 1
    order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
    assert (order.amount_fen, order.status, order.payable_kind) == (3000, "created", "registration")
    assert appointment.hold_expires_at - now() == pytest.approx(timedelta(minutes=15), abs=timedelta(seconds=5))
    assert AuditEvent.objects.filter(action="appointment.book", target_id=str(appointment.public_id)).exists()


def test_a_chosen_slot_is_booked_or_refused_as_taken(alice, mallory, clinic):
    first = book(alice, booking(visit_person(alice), clinic, slot_number=2))
    assert first.slot.number == 2
    refused("appointment.slot_taken", mallory, booking(visit_person(mallory, 2), clinic, slot_number=2))


def test_a_full_session_refuses_with_slot_full(alice, clinic):
    for n in range(3):
        book(alice, booking(visit_person(alice, n + 1), clinic))
    refused("appointment.slot_full", alice, booking(visit_person(alice, 9), clinic))


def test_one_visit_person_cannot_hold_two_bookings_in_one_session(alice, clinic):
    person = visit_person(alice)
    book(alice, booking(person, clinic))
    refused("appointment.already_booked", alice, booking(person, clinic))
    assert Slot.objects.filter(schedule=clinic, status="held").count() == 1  # the second hold rolled back


def test_on_site_sessions_are_never_booked_online(alice, dr_bob):
    refused("appointment.not_online", alice, booking(visit_person(alice), online_schedule(dr_bob, category="onsite")))


def test_booking_opens_seven_days_ahead_and_closes_thirty_minutes_before(alice, dr_bob):
    person = visit_person(alice)
    refused("appointment.not_yet_open", alice, booking(person, online_schedule(dr_bob, starts_in=timedelta(days=9))))
    soon = online_schedule(dr_bob, starts_in=timedelta(minutes=20), period="evening", capacity=1)
    refused("appointment.booking_closed", alice, booking(person, soon))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("complaint", "痛"),
        ("complaint", "x" * 501),
        ("prior_hospital", ""),
        ("prior_diagnosis", ""),
        ("prior_visit_date", None),
    ],
)
def test_missing_or_bad_fields_are_refused_and_nothing_is_held(alice, clinic, field, value):
    error = refused("appointment.invalid", alice, booking(visit_person(alice), clinic, **{field: value}))
    assert field in error.fields
    assert not Slot.objects.filter(schedule=clinic).exclude(status="free").exists()


def test_future_prior_diagnosis_is_refused(alice, clinic):
    future = now().date() + timedelta(days=3)
    error = refused("appointment.invalid", alice, booking(visit_person(alice), clinic, prior_visit_date=future))
    assert "prior_visit_date" in error.fields


def test_someone_elses_visit_person_cannot_be_booked(alice, mallory, clinic):
    refused("appointment.invalid", mallory, booking(visit_person(alice), clinic))


def test_an_unpaid_hold_expires_and_the_place_returns(alice, clinic):
    appointment = book(alice, booking(visit_person(alice), clinic))
    assert appointment_expire_hold(appointment_pk=appointment.pk) is False  # not yet due
    Appointment.objects.filter(pk=appointment.pk).update(hold_expires_at=now() - timedelta(seconds=1))
    assert appointments_expire_due_holds() == 1
    appointment.refresh_from_db()
    assert appointment.status == "expired"
    assert Slot.objects.get(pk=appointment.slot_id).status == "free"
    assert PaymentOrder.objects.get(public_id=appointment.payment_order_public_id).status == "closed"
    assert appointments_expire_due_holds() == 0  # once


def test_patient_cancels_an_unpaid_booking(alice, clinic):
    appointment = book(alice, booking(visit_person(alice), clinic))
    appointment_cancel(account=alice, appointment=appointment, actor=SYSTEM)
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert Slot.objects.get(pk=appointment.slot_id).status == "free"
    with pytest.raises(DomainError) as again:
        appointment_cancel(account=alice, appointment=appointment, actor=SYSTEM)
    assert again.value.code == "core.illegal_transition"


def test_free_clinics_skip_payment(alice, dr_bob):
    appointment = book(alice, booking(visit_person(alice), online_schedule(dr_bob, fee_fen=0)))
    assert appointment.status == "requested" and appointment.payment_order_public_id is None


def test_a_sold_out_session_is_answered_from_the_cache_briefly(alice, dr_bob, django_assert_max_num_queries):
    from ihospital.appointments.services import check_bookable

    clinic = online_schedule(dr_bob, capacity=1)
    book(alice, booking(visit_person(alice), clinic))
    with pytest.raises(DomainError):
        check_bookable(clinic)  # finds it full and remembers
    with django_assert_max_num_queries(0), pytest.raises(DomainError) as full:
        check_bookable(clinic)
    assert full.value.code == "appointment.slot_full"
