"""Races that real row locks settle (PostgreSQL; CI's second run). SQLite serialises writers anyway."""

from __future__ import annotations

from ihospital.appointments.models import Appointment
from ihospital.audit.services import Actor
from ihospital.consultations.models import Consultation, Message
from ihospital.consultations.services import (
    consultation_answer,
    consultation_call,
    consultation_check_in,
    consultation_complete,
    message_image_post,
)
from ihospital.consultations.tests.conftest import accepted_booking
from ihospital.consultations.tests.test_room import png_bytes
from ihospital.core.errors import DomainError
from ihospital.core.testing.concurrency import needs_row_locks, race
from ihospital.core.testing.storage import stored_files

pytestmark = needs_row_locks


def test_eight_tabs_checking_in_at_once_make_one_place_in_the_queue(accepted, alice):
    def check_in(i: int):  # each tab's request loads the booking itself
        appointment = Appointment.objects.get(pk=accepted.pk)
        return consultation_check_in(patient=alice, appointment=appointment, actor=Actor.of(alice))

    results = race(8, check_in)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r.pk for r in results} == {Consultation.objects.get(appointment=accepted).pk}
    accepted.refresh_from_db()
    assert accepted.status == "waiting"


def test_two_patients_answering_one_doctor_at_once_start_one_consultation(alice, confirmed_bob, commit):
    first = accepted_booking(alice, confirmed_bob, commit, person_seq=1)
    second = accepted_booking(alice, confirmed_bob, commit, schedule=first.schedule, person_seq=2)
    rooms = [consultation_check_in(patient=alice, appointment=a, actor=Actor.of(alice)) for a in (first, second)]
    for room in rooms:  # the doctor rang one, then the other before the first answered
        consultation_call(doctor=confirmed_bob, consultation=room, actor=Actor.of(confirmed_bob))
    calling = [Consultation.objects.get(pk=room.pk) for room in rooms]

    results = race(2, lambda i: consultation_answer(patient=alice, consultation=calling[i], actor=Actor.of(alice)))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].code == "consultation.doctor_busy", results
    assert Consultation.objects.filter(doctor=confirmed_bob, status="in_progress").count() == 1


def test_a_photo_racing_the_end_of_the_visit_is_kept_before_it_or_refused_without_a_file(
    in_progress, alice, confirmed_bob
):
    def act(i: int):
        room = Consultation.objects.get(pk=in_progress.pk)  # each request reads the visit in progress
        if i == 0:
            return consultation_complete(doctor=confirmed_bob, consultation=room, actor=Actor.of(confirmed_bob))
        return message_image_post(
            sender=alice, consultation=room, name="p.png", data=png_bytes(), actor=Actor.of(alice)
        )

    ended, sent = race(2, act)
    assert not isinstance(ended, Exception), ended
    kept = list(Message.objects.filter(consultation=in_progress).values_list("image", flat=True))
    if isinstance(sent, DomainError):
        assert sent.code == "consultation.not_in_progress" and kept == [] and stored_files() == []
    else:
        assert not isinstance(sent, Exception), sent
        assert stored_files() == kept and len(kept) == 1
