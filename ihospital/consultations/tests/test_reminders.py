"""Reminders to enter the waiting room, 30 and 5 minutes before the slot: each once, in the app and by
SMS; a reminder missed while the worker was down is skipped, not sent late; only accepted bookings not
yet checked in are reminded."""

from datetime import timedelta

import pytest
from django.urls import reverse

from ihospital.appointments.models import Appointment
from ihospital.consultations.models import Reminder
from ihospital.consultations.services import reminder_send, reminders_send_due
from ihospital.consultations.tests.conftest import accepted_booking, checked_in, starts_in
from ihospital.core.models import OutboxMessage
from ihospital.notifications.models import Notification


def reminders_of(appointment) -> list[int]:
    return sorted(Reminder.objects.filter(appointment=appointment).values_list("minutes_before", flat=True))


def reminder_notifications(appointment):
    return Notification.objects.filter(kind="consultation.reminder", dedupe_key__contains=str(appointment.public_id))


def reminder_sms(appointment):
    return OutboxMessage.objects.filter(topic="sms.send", idempotency_key__contains=f"reminder:{appointment.public_id}")


@pytest.fixture
def booked(alice, dr_bob, commit):
    """alice's accepted booking, its slot a day ahead until a test moves the clock."""
    return accepted_booking(alice, dr_bob, commit, slot_in=timedelta(days=1))


def run_due(commit) -> int:
    with commit():
        return reminders_send_due()


def test_nothing_is_sent_more_than_30_minutes_ahead(booked, commit):
    starts_in(booked, timedelta(minutes=31))
    assert run_due(commit) == 0
    assert reminders_of(booked) == []


def test_a_booking_starting_in_29_minutes_gets_one_reminder_in_the_app_and_by_sms(booked, alice, commit):
    starts_in(booked, timedelta(minutes=29))
    assert run_due(commit) == 1
    assert reminders_of(booked) == [30]
    notification = reminder_notifications(booked).get()
    assert notification.user_id == alice.pk
    assert notification.link == reverse("consultations:waiting_room", args=[booked.public_id])
    sms = reminder_sms(booked).get()
    assert sms.payload["phone"] == alice.phone and sms.payload["text"]


def test_running_again_sends_nothing_more(booked, commit):
    starts_in(booked, timedelta(minutes=29))
    assert run_due(commit) == 1
    assert run_due(commit) == 0
    starts_in(booked, timedelta(minutes=20))
    assert run_due(commit) == 0
    assert reminders_of(booked) == [30]
    assert reminder_notifications(booked).count() == 1
    assert reminder_sms(booked).count() == 1


def test_the_5_minute_reminder_follows_the_30_minute_one(booked, commit):
    starts_in(booked, timedelta(minutes=29))
    run_due(commit)
    starts_in(booked, timedelta(minutes=4))
    assert run_due(commit) == 1
    assert reminders_of(booked) == [5, 30]
    assert reminder_notifications(booked).count() == 2
    assert reminder_sms(booked).count() == 2
    assert run_due(commit) == 0


def test_a_worker_down_until_4_minutes_before_sends_only_the_5_minute_reminder(booked, commit):
    starts_in(booked, timedelta(minutes=4))
    assert run_due(commit) == 1
    assert reminders_of(booked) == [5]
    assert reminder_notifications(booked).count() == 1
    assert reminder_sms(booked).count() == 1
    assert run_due(commit) == 0
    assert reminders_of(booked) == [5]


def test_a_slot_that_already_started_is_not_reminded(booked, commit):
    starts_in(booked, timedelta(minutes=-1))
    assert run_due(commit) == 0
    assert reminders_of(booked) == []


@pytest.mark.parametrize("status", ["cancelled", "rejected", "expired", "requested", "no_show"])
def test_a_booking_not_accepted_gets_no_reminder(booked, commit, status):
    Appointment.objects.filter(pk=booked.pk).update(status=status)
    for minutes in (29, 4):
        starts_in(booked, timedelta(minutes=minutes))
        assert run_due(commit) == 0
    assert reminders_of(booked) == []
    assert not reminder_notifications(booked).exists()
    assert not reminder_sms(booked).exists()


def test_a_patient_already_in_the_waiting_room_gets_no_reminder(booked, commit):
    starts_in(booked, timedelta(minutes=29))
    checked_in(booked, commit)
    assert run_due(commit) == 0
    starts_in(booked, timedelta(minutes=4))
    assert run_due(commit) == 0
    assert reminders_of(booked) == []
    assert not reminder_notifications(booked).exists()


def test_only_due_bookings_are_reminded_among_several(alice, dr_bob, commit):
    soon = accepted_booking(alice, dr_bob, commit, person_seq=1, slot_in=timedelta(minutes=29))
    later = accepted_booking(alice, dr_bob, commit, schedule=soon.schedule, person_seq=2, slot_in=timedelta(minutes=50))
    assert run_due(commit) == 1
    assert (reminders_of(soon), reminders_of(later)) == ([30], [])


def test_sending_the_same_reminder_twice_sends_it_once(booked, commit):
    starts_in(booked, timedelta(minutes=29))
    with commit():
        assert reminder_send(appointment=booked, minutes_before=30) is True
    with commit():
        assert reminder_send(appointment=booked, minutes_before=30) is False
    assert reminders_of(booked) == [30]
    assert reminder_notifications(booked).count() == 1
    assert reminder_sms(booked).count() == 1
