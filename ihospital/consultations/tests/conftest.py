"""An accepted booking whose slot starts in 10 minutes, ready for the waiting room."""

from datetime import timedelta

import pytest
from huey.contrib.djhuey import HUEY

from ihospital.accounts.identity import staff_identity_confirm
from ihospital.appointments.models import Appointment
from ihospital.appointments.services import appointment_accept, appointment_book, appointment_checkout
from ihospital.appointments.tests.factories import SYSTEM, booking, online_schedule, visit_person
from ihospital.audit.services import Actor
from ihospital.core.testing.personas import PASSWORD
from ihospital.core.time import now
from ihospital.integrations.payproviders.sandbox import trades
from ihospital.payments.models import PaymentOrder
from ihospital.scheduling.models import Schedule, Slot


@pytest.fixture(autouse=True)
def no_leftover_tasks():
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def starts_in(appointment: Appointment, delta: timedelta) -> Appointment:
    """Move the appointment's slot (and its session) so that it starts ``delta`` from now: booking rules
    close 30 minutes before a slot, so tests book a day ahead and then let the clock 'run'."""
    slot = appointment.slot
    length = slot.ends_at - slot.starts_at
    shift = now() + delta - slot.starts_at
    Slot.objects.filter(pk=slot.pk).update(starts_at=slot.starts_at + shift, ends_at=slot.starts_at + shift + length)
    Schedule.objects.filter(pk=appointment.schedule_id).update(starts_at=appointment.schedule.starts_at + shift)
    appointment.refresh_from_db()
    appointment.slot.refresh_from_db()
    return appointment


def accepted_booking(account, doctor, commit, *, schedule=None, person_seq=1, slot_in=timedelta(minutes=10)):
    schedule = schedule or online_schedule(doctor)
    with commit():
        appointment = appointment_book(
            account=account, data=booking(visit_person(account, person_seq), schedule), actor=Actor.of(account)
        )
    appointment_checkout(appointment=appointment, actor=SYSTEM)
    order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
    with commit():
        trades.pay(order.out_trade_no)
    appointment.refresh_from_db()
    appointment_accept(doctor=doctor, appointment=appointment, prior_diagnosis_confirmed=True, actor=SYSTEM)
    appointment.refresh_from_db()
    return starts_in(appointment, slot_in) if slot_in is not None else appointment


@pytest.fixture
def accepted(alice, dr_bob, commit):
    return accepted_booking(alice, dr_bob, commit)


@pytest.fixture
def confirmed_bob(dr_bob):
    """dr_bob re-entered his password a moment ago (the identity check before calling)."""
    staff_identity_confirm(user=dr_bob, password=PASSWORD, actor=Actor.of(dr_bob))
    return dr_bob


def code_of(call) -> str:
    """The error code ``call()`` is refused with."""
    from ihospital.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


def checked_in(appointment: Appointment, commit):
    from ihospital.consultations.services import consultation_check_in

    patient = appointment.account
    with commit():
        return consultation_check_in(patient=patient, appointment=appointment, actor=Actor.of(patient))


def in_consultation(appointment: Appointment, doctor, commit):
    """Checked in, called (``doctor`` confirmed their identity) and answered: the consultation is in progress."""
    from ihospital.consultations.services import consultation_answer, consultation_call

    consultation = checked_in(appointment, commit)
    with commit():
        consultation_call(doctor=doctor, consultation=consultation, actor=Actor.of(doctor))
    consultation.refresh_from_db()
    with commit():
        consultation_answer(patient=appointment.account, consultation=consultation, actor=Actor.of(appointment.account))
    consultation.refresh_from_db()
    appointment.refresh_from_db()
    return consultation


@pytest.fixture
def in_progress(accepted, confirmed_bob, commit):
    """alice's consultation with dr_bob, started a moment ago."""
    return in_consultation(accepted, confirmed_bob, commit)
