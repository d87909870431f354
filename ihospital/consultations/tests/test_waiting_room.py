"""Check-in, the queue, the call with one recall, answering and no-show."""

from datetime import timedelta

import pytest

from ihospital.accounts.models import IdentityConfirmation
from ihospital.appointments.models import Appointment
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations import events
from ihospital.consultations.models import Consultation
from ihospital.consultations.services import (
    appointments_no_show_sweep,
    consultation_answer,
    consultation_call,
    consultation_call_expire,
    consultation_calls_sweep,
    consultation_check_in,
    consultation_decline,
    consultation_mark_no_show,
)
from ihospital.consultations.tests.conftest import accepted_booking, starts_in
from ihospital.core.errors import DomainError
from ihospital.core.time import now


def check_in(appointment, commit):
    with commit():
        patient = appointment.account
        return consultation_check_in(patient=patient, appointment=appointment, actor=Actor.of(patient))


def code_of(call) -> str:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


def test_check_in_opens_30_minutes_before_the_slot(accepted, commit):
    starts_in(accepted, timedelta(minutes=45))
    assert code_of(lambda: check_in(accepted, commit)) == "consultation.check_in_not_open"
    starts_in(accepted, timedelta(minutes=29))
    consultation = check_in(accepted, commit)
    accepted.refresh_from_db()
    assert (accepted.status, consultation.status) == ("waiting", "waiting")
    assert AuditEvent.objects.filter(action="consultation.check_in", target_id=str(consultation.public_id)).exists()


def test_check_in_closes_an_hour_after_the_slot_ended(accepted, commit):
    starts_in(accepted, timedelta(minutes=-75))
    assert code_of(lambda: check_in(accepted, commit)) == "consultation.check_in_closed"


def test_a_second_tab_or_a_reconnect_never_duplicates_the_patient(accepted, commit):
    first = check_in(accepted, commit)
    second = check_in(accepted, commit)
    assert first.pk == second.pk
    assert Consultation.objects.filter(doctor=first.doctor).count() == 1
    assert events.queue_order(first.doctor_id) == [first.queue_token]


def test_only_an_accepted_booking_can_check_in(alice, dr_bob, commit):
    appointment = accepted_booking(alice, dr_bob, commit)
    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled")
    appointment.refresh_from_db()
    assert code_of(lambda: check_in(appointment, commit)) == "consultation.not_accepted"


def test_the_queue_follows_slot_order_whoever_arrives_first(alice, dr_bob, commit):
    early = accepted_booking(alice, dr_bob, commit, person_seq=1)
    late = accepted_booking(alice, dr_bob, commit, schedule=early.schedule, person_seq=2, slot_in=timedelta(minutes=20))
    second = check_in(late, commit)
    first = check_in(early, commit)
    assert events.queue_order(dr_bob.pk) == [first.queue_token, second.queue_token]


def test_calling_needs_an_identity_check_within_ten_minutes(accepted, dr_bob, commit):
    check_in(accepted, commit)
    assert code_of(lambda: consultation_call(doctor=dr_bob, actor=Actor.of(dr_bob))) == (
        "consultation.identity_check_required"
    )
    from ihospital.accounts.identity import staff_identity_confirm
    from ihospital.core.testing.personas import PASSWORD

    confirmation = staff_identity_confirm(user=dr_bob, password=PASSWORD, actor=Actor.of(dr_bob))
    IdentityConfirmation.objects.filter(pk=confirmation.pk).update(confirmed_at=now() - timedelta(minutes=11))
    assert code_of(lambda: consultation_call(doctor=dr_bob, actor=Actor.of(dr_bob))) == (
        "consultation.identity_check_required"
    )
    IdentityConfirmation.objects.filter(pk=confirmation.pk).update(confirmed_at=now() - timedelta(minutes=9))
    with commit():
        called = consultation_call(doctor=dr_bob, actor=Actor.of(dr_bob))
    assert (called.status, called.call_attempts) == ("calling", 1)
    assert called.identity_confirmed_at is not None
    event = AuditEvent.objects.get(action="consultation.call", target_id=str(called.public_id))
    assert event.details["method"] == "password"


def test_an_unanswered_call_rings_once_more_then_shows_as_missed(accepted, confirmed_bob, commit):
    check_in(accepted, commit)
    with commit():
        called = consultation_call(doctor=confirmed_bob, actor=Actor.of(confirmed_bob))
    assert consultation_call_expire(consultation_pk=called.pk) == "not_yet"
    Consultation.objects.filter(pk=called.pk).update(called_at=now() - timedelta(seconds=121))
    with commit():
        assert consultation_calls_sweep() == 1
    called.refresh_from_db()
    assert (called.status, called.call_attempts) == ("calling", 2)
    Consultation.objects.filter(pk=called.pk).update(called_at=now() - timedelta(seconds=121))
    with commit():
        assert consultation_call_expire(consultation_pk=called.pk) == "missed"
    called.refresh_from_db()
    assert called.status == "missed"
    # still in the queue: the doctor may call again or mark a no-show
    assert events.queue_order(confirmed_bob.pk) == [called.queue_token]
    with commit():
        again = consultation_call(doctor=confirmed_bob, consultation=called, actor=Actor.of(confirmed_bob))
    assert (again.status, again.call_attempts) == ("calling", 1)


def test_a_stale_timer_does_not_touch_a_newer_ring(accepted, confirmed_bob, commit):
    check_in(accepted, commit)
    with commit():
        called = consultation_call(doctor=confirmed_bob, actor=Actor.of(confirmed_bob))
    stale = (called.called_at - timedelta(minutes=5)).isoformat()
    assert consultation_call_expire(consultation_pk=called.pk, called_at=stale) == "superseded"


def test_answering_starts_the_consultation(accepted, confirmed_bob, commit):
    consultation = check_in(accepted, commit)
    patient = accepted.account
    assert (
        code_of(lambda: consultation_answer(patient=patient, consultation=consultation, actor=Actor.of(patient)))
        == "consultation.not_ringing"
    )
    with commit():
        consultation_call(doctor=confirmed_bob, actor=Actor.of(confirmed_bob))
    consultation.refresh_from_db()
    with commit():
        consultation_answer(patient=accepted.account, consultation=consultation, actor=Actor.of(accepted.account))
    accepted.refresh_from_db()
    assert (consultation.status, accepted.status) == ("in_progress", "in_consultation")
    assert consultation.started_at is not None
    assert events.queue_order(confirmed_bob.pk) == []
    assert events.doctor_status(confirmed_bob.pk, confirmed_bob.public_id.hex) == "in_consultation"


def test_declining_the_ring_ends_the_call_as_missed_and_the_doctor_may_call_again(accepted, confirmed_bob, commit):
    consultation = check_in(accepted, commit)
    patient = accepted.account
    decline = lambda: consultation_decline(patient=patient, consultation=consultation, actor=Actor.of(patient))  # noqa: E731
    assert code_of(decline) == "consultation.not_ringing"  # nothing rings yet
    with commit():
        consultation_call(doctor=confirmed_bob, actor=Actor.of(confirmed_bob))
    consultation.refresh_from_db()
    with commit():
        decline()
    consultation.refresh_from_db()
    accepted.refresh_from_db()
    assert (consultation.status, accepted.status) == ("missed", "waiting")
    declined = AuditEvent.objects.filter(action="consultation.call_declined", target_id=str(consultation.public_id))
    assert declined.exists()
    assert events.queue_order(confirmed_bob.pk) == [consultation.queue_token]  # still in the queue
    assert code_of(decline) == "consultation.not_ringing"  # declining twice changes nothing
    with commit():
        again = consultation_call(doctor=confirmed_bob, consultation=consultation, actor=Actor.of(confirmed_bob))
    assert again.status == "calling"


def test_the_doctor_cannot_call_while_in_a_consultation(alice, confirmed_bob, commit):
    first = accepted_booking(alice, confirmed_bob, commit, person_seq=1)
    second = accepted_booking(alice, confirmed_bob, commit, schedule=first.schedule, person_seq=2)
    one, _two = check_in(first, commit), check_in(second, commit)
    with commit():
        consultation_call(doctor=confirmed_bob, consultation=one, actor=Actor.of(confirmed_bob))
        one.refresh_from_db()
        consultation_answer(patient=alice, consultation=one, actor=Actor.of(alice))
    assert code_of(lambda: consultation_call(doctor=confirmed_bob, actor=Actor.of(confirmed_bob))) == (
        "consultation.doctor_busy"
    )


def test_a_missed_patient_can_be_marked_no_show(accepted, confirmed_bob, commit):
    consultation = check_in(accepted, commit)
    with commit():
        consultation_mark_no_show(doctor=confirmed_bob, consultation=consultation, actor=Actor.of(confirmed_bob))
    accepted.refresh_from_db()
    assert (consultation.status, accepted.status) == ("no_show", "no_show")
    bob = confirmed_bob
    assert (
        code_of(lambda: consultation_mark_no_show(doctor=bob, consultation=consultation, actor=Actor.of(bob)))
        == "core.illegal_transition"
    )


def test_a_patient_who_never_checks_in_becomes_a_no_show_once_check_in_closed(alice, dr_bob, commit):
    absent = accepted_booking(alice, dr_bob, commit, person_seq=1, slot_in=timedelta(minutes=-80))
    still_open = accepted_booking(alice, dr_bob, commit, schedule=absent.schedule, person_seq=2)
    assert appointments_no_show_sweep() == 1
    absent.refresh_from_db()
    still_open.refresh_from_db()
    assert (absent.status, still_open.status) == ("no_show", "accepted")
    assert AuditEvent.objects.filter(action="appointment.no_show", target_id=str(absent.public_id)).exists()
    assert appointments_no_show_sweep() == 0


def test_a_patients_position_counts_those_ahead_in_slot_order(alice, dr_bob, commit):
    early = accepted_booking(alice, dr_bob, commit, person_seq=1)
    late = accepted_booking(alice, dr_bob, commit, schedule=early.schedule, person_seq=2, slot_in=timedelta(minutes=20))
    second, first = check_in(late, commit), check_in(early, commit)
    assert (events.queue_position(first), events.queue_position(second)) == (1, 2)
    assert [events.queue_position(c) for c in (first, second)] == [
        events.queue_order(dr_bob.pk).index(c.queue_token) + 1 for c in (first, second)
    ]
    Consultation.objects.filter(pk=first.pk).update(status="in_progress")
    first.refresh_from_db()
    assert (events.queue_position(first), events.queue_position(second)) == (None, 1)
