"""The hospital administrator's exam rooms and sessions: written through services, audited, never below
what is booked; the demo timetable is idempotent."""

from datetime import datetime, time, timedelta

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import local, now
from ihospital.labs.demo import load_lab_demo
from ihospital.labs.models import ExamRoom, ExamSession
from ihospital.labs.services import (
    RoomInput,
    Timetable,
    exam_room_create,
    exam_session_create,
    exam_session_set_capacity,
    exam_session_set_open,
    exam_sessions_generate,
)
from ihospital.labs.tests.factories import room, session


@pytest.fixture
def actor(admin):
    return Actor.of(admin)


def test_a_room_and_a_session_are_created_and_audited(actor):
    ct = exam_room_create(
        data=RoomInput(name="CT2室", modality="CT", department="放射科", place="医技楼1楼"), actor=actor
    )
    start = now() + timedelta(days=1)
    made = exam_session_create(room=ct, starts_at=start, ends_at=start + timedelta(hours=1), capacity=8, actor=actor)
    assert (made.date, made.capacity, made.booked) == (local(start).date(), 8, 0)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"exam_room.create", "exam_session.create"} <= actions


@pytest.mark.parametrize(
    "starts, length, capacity",
    [
        (timedelta(days=1), timedelta(hours=-1), 5),
        (-timedelta(hours=1), timedelta(hours=1), 5),
        (timedelta(days=1), timedelta(hours=1), 0),
    ],
)
def test_a_session_backwards_in_the_past_or_without_places_is_refused(db, actor, starts, length, capacity):
    start = now() + starts
    with pytest.raises(DomainError) as refused:
        exam_session_create(room=room(), starts_at=start, ends_at=start + length, capacity=capacity, actor=actor)
    assert refused.value.code == "lab.session_invalid" and not ExamSession.objects.exists()


def test_capacity_never_goes_below_the_places_booked(db, actor):
    target = session(room(), capacity=5)
    ExamSession.objects.filter(pk=target.pk).update(booked=3)
    with pytest.raises(DomainError) as refused:
        exam_session_set_capacity(session=target, capacity=2, actor=actor)
    assert refused.value.code == "lab.capacity_below_booked"
    assert exam_session_set_capacity(session=target, capacity=3, actor=actor).capacity == 3


def test_a_closed_session_keeps_its_bookings_and_takes_no_more(db, actor):
    target = session(room())
    assert exam_session_set_open(session=target, is_open=False, actor=actor).status == ExamSession.Status.CLOSED
    assert AuditEvent.objects.filter(action="exam_session.status").exists()


def test_a_timetable_skips_weekends_and_what_exists(db, actor):
    ultrasound = room()
    monday = local(now()).date() + timedelta(days=7 - local(now()).weekday())
    timetable = Timetable(first_day=monday, days=7, times=((time(8), time(9)), (time(14), time(15))), capacity=4)
    assert exam_sessions_generate(room=ultrasound, timetable=timetable, actor=actor) == 10
    assert exam_sessions_generate(room=ultrasound, timetable=timetable, actor=actor) == 0
    first = ExamSession.objects.order_by("starts_at").first()
    assert local(first.starts_at).replace(tzinfo=None) == datetime.combine(monday, time(8))


def test_the_demo_rooms_and_sessions_load_once(db):
    loader = Actor.system("demo loader")
    assert load_lab_demo(actor=loader) > 0
    assert load_lab_demo(actor=loader) == 0
    assert set(ExamRoom.objects.values_list("modality", flat=True)) >= {"US", "CT", "DR", "MR", "ECG"}
