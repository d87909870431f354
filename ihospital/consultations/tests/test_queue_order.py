"""The call order is written once (QUEUE_ORDER): the doctor's queue, the tokens patients receive, each
patient's position and the next one called all agree, whatever order patients arrived in."""

from datetime import timedelta

from ihospital.appointments.tests.factories import online_schedule
from ihospital.consultations import events, selectors
from ihospital.consultations.models import Consultation
from ihospital.consultations.tests.conftest import accepted_booking, checked_in
from ihospital.core.testing.personas import make_user
from ihospital.scheduling.models import Slot


def test_every_reader_of_the_queue_agrees_on_one_order(dr_bob, commit):
    clinic = online_schedule(dr_bob, capacity=5)
    patients = [make_user(f"q{i}", "patient", phone=f"1392222{i:04d}") for i in range(4)]
    # Slots 10, 20, 20 and 30 minutes ahead; the two at 20 minutes arrive in reverse booking order.
    bookings = [
        accepted_booking(p, dr_bob, commit, schedule=clinic, person_seq=i + 1, slot_in=timedelta(minutes=m))
        for i, (p, m) in enumerate(zip(patients, (10, 20, 20, 30), strict=True))
    ]
    Slot.objects.filter(pk=bookings[2].slot_id).update(starts_at=bookings[1].slot.starts_at)  # the very same time
    for index in (3, 2, 1, 0):
        checked_in(bookings[index], commit)
    queue = list(selectors.doctor_queue(dr_bob))
    expected = [bookings[0], bookings[2], bookings[1], bookings[3]]
    assert [c.appointment_id for c in queue] == [b.pk for b in expected]
    assert events.queue_order(dr_bob.pk) == [c.queue_token for c in queue]
    assert [events.queue_position(c) for c in queue] == [1, 2, 3, 4]
    assert [c.known_queue_position for c in selectors.doctor_queue_positioned(dr_bob)] == [1, 2, 3, 4]
    assert Consultation.objects.queue_of(dr_bob.pk).first() == queue[0]
