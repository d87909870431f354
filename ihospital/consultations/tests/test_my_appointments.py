"""'My appointments' keeps a visit under 'Upcoming' while the patient can still take part in it: a late
patient in the waiting room (the demo's own visit, opened a little late) must not find it under 'Past'."""

from __future__ import annotations

from datetime import timedelta

from ihospital.appointments.selectors import split_upcoming_past
from ihospital.consultations.tests.conftest import accepted_booking, checked_in, starts_in


def test_a_patient_in_the_waiting_room_after_the_slots_end_still_sees_the_visit_as_upcoming(alice, dr_bob, commit):
    appointment = accepted_booking(alice, dr_bob, commit, slot_in=timedelta(minutes=10))
    checked_in(appointment, commit)
    starts_in(appointment, -timedelta(minutes=40))  # the slot (15 minutes) ended 25 minutes ago
    upcoming, past = split_upcoming_past(alice)
    assert [a.pk for a in upcoming] == [appointment.pk] and past == []


def test_an_accepted_visit_is_upcoming_until_check_in_closes(alice, dr_bob, commit, settings):
    appointment = accepted_booking(alice, dr_bob, commit, slot_in=-timedelta(minutes=40))
    assert [a.pk for a in split_upcoming_past(alice)[0]] == [appointment.pk]  # a late patient may still come
    starts_in(appointment, -timedelta(minutes=settings.CHECK_IN_CLOSES_MINUTES_AFTER + 1))
    upcoming, past = split_upcoming_past(alice)
    assert upcoming == [] and [a.pk for a in past] == [appointment.pk]
