"""Booking races that need real row locks (PostgreSQL; CI runs them): the same visit person booked at
once into two overlapping slots of different doctors ends with exactly one booking."""

from __future__ import annotations

from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.concurrency import needs_row_locks, race

pytestmark = needs_row_locks

ROUNDS = 4  # one visit person per round (an account has at most 5)


def test_two_parallel_bookings_of_one_person_at_overlapping_times_one_wins(alice, dr_bob, dr_erin):
    from datetime import timedelta

    from ihospital.appointments.models import Appointment
    from ihospital.appointments.services import appointment_book
    from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
    from ihospital.scheduling.models import Slot

    for round_ in range(ROUNDS):
        person = visit_person(alice, round_ + 1)
        clinics = [online_schedule(doctor, starts_in=timedelta(days=1 + round_)) for doctor in (dr_bob, dr_erin)]

        def book(i: int, person=person, clinics=clinics):
            return appointment_book(account=alice, data=booking(person, clinics[i]), actor=Actor.of(alice))

        results = race(2, book)
        won = [r for r in results if isinstance(r, Appointment)]
        lost = [r for r in results if isinstance(r, DomainError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].code == "appointment.time_conflict"
        assert Appointment.objects.filter(visit_person=person, status__in=Appointment.ACTIVE).count() == 1
        assert Slot.objects.filter(schedule__in=clinics).exclude(status="free").count() == 1
