"""N patients race for the last k places of an exam session: exactly k win, nobody is overbooked (PostgreSQL)."""

from datetime import timedelta

from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.concurrency import needs_row_locks, race
from ihospital.core.time import now
from ihospital.labs.models import ExamBooking, ExamSession, LabOrder
from ihospital.labs.services import lab_order_book
from ihospital.labs.tests.factories import room, session
from ihospital.labs.tests.test_models import make_order

pytestmark = needs_row_locks

RACERS, CAPACITY = 8, 3


def test_concurrent_bookings_never_overbook_a_session(signed_record, in_progress, alice):
    orders = [make_order(in_progress, signed_record, status=LabOrder.Status.PAID, paid_at=now()) for _ in range(RACERS)]
    target = session(room(), capacity=CAPACITY)

    def book(i: int):
        return lab_order_book(account=alice, order=orders[i], session_id=target.public_id, actor=Actor.of(alice))

    results = race(RACERS, book)
    won = [r for r in results if isinstance(r, ExamBooking)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == CAPACITY and len(refused) == RACERS - CAPACITY, results
    assert {r.code for r in refused} == {"lab.session_full"}
    assert ExamSession.objects.get(pk=target.pk).booked == CAPACITY
    assert ExamBooking.objects.filter(session=target, status="booked").count() == CAPACITY
    assert LabOrder.objects.filter(status=LabOrder.Status.SCHEDULED).count() == CAPACITY


def test_one_order_booked_from_two_tabs_at_once_takes_one_place(signed_record, in_progress, alice):
    order = make_order(in_progress, signed_record, status=LabOrder.Status.PAID, paid_at=now())
    ultrasound = room()
    first = session(ultrasound, capacity=5)
    second = session(ultrasound, capacity=5, starts_in=timedelta(days=3))
    targets = [first, second] * 3

    def book(i: int):
        return lab_order_book(account=alice, order=order, session_id=targets[i].public_id, actor=Actor.of(alice))

    results = race(len(targets), book)
    assert sum(isinstance(r, ExamBooking) for r in results) == 1, results
    assert ExamSession.objects.get(pk=first.pk).booked + ExamSession.objects.get(pk=second.pk).booked == 1
