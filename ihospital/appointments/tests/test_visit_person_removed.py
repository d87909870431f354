"""A removed visit person (issue 9 point 3): their bookings stay, new bookings for them are impossible."""

import pytest
from django.test import Client

from ihospital.accounts import services as accounts
from ihospital.accounts.selectors import access_visit_person
from ihospital.appointments.models import Appointment
from ihospital.appointments.services import appointment_book
from ihospital.appointments.tests.factories import SYSTEM, booking, online_schedule, visit_person
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError


def test_removing_a_visit_person_keeps_their_bookings_and_hides_them_from_booking(alice, dr_bob):
    schedule = online_schedule(dr_bob)
    person, other = visit_person(alice), visit_person(alice, 2)
    booked = appointment_book(account=alice, data=booking(person, schedule), actor=Actor.of(alice))

    accounts.visit_person_remove(person=person, actor=SYSTEM)

    kept = Appointment.objects.get(pk=booked.pk)
    assert kept.visit_person_id == person.pk and kept.visit_person.name == person.name  # the record is intact
    with pytest.raises(DomainError):
        access_visit_person(user=alice, public_id=person.public_id, actor=Actor.of(alice))
    client = Client()
    client.force_login(alice)
    page = client.get(f"/p/book/schedules/{schedule.public_id}/").content.decode()
    assert str(other.public_id) in page and str(person.public_id) not in page
