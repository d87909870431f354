"""The patient's side: pay (a new payable), book a time in a session (no overbooking), change it until the
cut-off, cancel with a refund decided from the state left, check in with the code, the reminder."""

from datetime import timedelta
from functools import partial

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.models import OutboxMessage
from ihospital.core.time import now
from ihospital.labs.models import ExamBooking, ExamSession, LabOrder
from ihospital.labs.services import (
    lab_bookings_remind_due,
    lab_order_book,
    lab_order_cancel,
    lab_order_check_in,
    lab_order_perform,
    lab_order_rebook,
)
from ihospital.labs.tests.factories import pay, place, room, session
from ihospital.notifications.models import Notification
from ihospital.payments.models import PaymentOrder, Refund


@pytest.fixture
def orders(signed_record, in_progress, dr_bob, commit):
    placed = place(dr_bob, in_progress, commit)
    return {order.kind: order for order in placed}


def code_of(call, **kwargs) -> str:
    with pytest.raises(DomainError) as refused:
        call(**kwargs)
    return refused.value.code


def booking(account, order, target):
    return partial(lab_order_book, account=account, order=order, session_id=target, actor=Actor.of(account))


def test_a_lab_test_is_paid_then_checked_in_without_a_booking(orders, alice, nina, commit):
    lab = pay(orders["lab"], alice, commit)
    assert lab.status == LabOrder.Status.PAID and lab.paid_at
    payment = PaymentOrder.objects.get(public_id=lab.payment_order_public_id)
    assert (payment.payable_kind, payment.amount_fen, payment.status) == ("lab_order", lab.amount_fen, "paid")
    assert lab.his_receipt_no  # the charge written back to the HIS through the outbox
    assert Notification.objects.filter(user=alice, kind="lab_order.paid").exists()
    assert code_of(lambda: lab_order_book(account=alice, order=lab, session_id="x", actor=Actor.of(alice))) == (
        "lab.no_booking_needed"
    )
    checked = lab_order_check_in(staff=nina, code=lab.checkin_code.lower(), actor=Actor.of(nina))
    assert checked.checked_in_at and checked.checked_in_by == nina
    assert code_of(lambda: lab_order_check_in(staff=nina, code=lab.checkin_code, actor=Actor.of(nina))) == (
        "lab.already_checked_in"
    )
    lab_order_perform(order=checked, actor=Actor.of(nina))
    assert LabOrder.objects.get(pk=lab.pk).status == LabOrder.Status.PERFORMED


def test_an_exam_is_paid_booked_and_changed_until_the_cut_off(orders, alice, commit):
    exam = pay(orders["exam"], alice, commit)
    ultrasound = room()
    first, second = session(ultrasound), session(ultrasound, starts_in=timedelta(days=3))
    booking = lab_order_book(account=alice, order=exam, session_id=first.public_id, actor=Actor.of(alice))
    exam.refresh_from_db()
    assert exam.status == LabOrder.Status.SCHEDULED and booking.session == first
    assert ExamSession.objects.get(pk=first.pk).booked == 1
    moved = lab_order_rebook(account=alice, order=exam, session_id=second.public_id, actor=Actor.of(alice))
    assert ExamSession.objects.get(pk=first.pk).booked == 0 and ExamSession.objects.get(pk=second.pk).booked == 1
    assert ExamBooking.objects.get(pk=booking.pk).status == ExamBooking.Status.CHANGED
    ExamSession.objects.filter(pk=second.pk).update(starts_at=now() + timedelta(hours=2))
    code = code_of(
        lambda: lab_order_rebook(account=alice, order=exam, session_id=first.public_id, actor=Actor.of(alice))
    )
    assert code == "lab.change_closed"
    assert ExamBooking.objects.get(pk=moved.pk).status == ExamBooking.Status.BOOKED


def test_booking_twice_or_outside_the_sessions_is_refused_audited_and_changes_nothing(orders, alice, commit):
    exam = pay(orders["exam"], alice, commit)
    ultrasound, ct = room(), room(name="CT1室", modality="CT")
    open_one = session(ultrasound)
    wrong_modality, past = session(ct), session(ultrasound, starts_in=-timedelta(hours=1))
    closed = session(ultrasound, starts_in=timedelta(days=4))
    ExamSession.objects.filter(pk=closed.pk).update(status=ExamSession.Status.CLOSED)
    actor = Actor.of(alice)
    for target in (
        wrong_modality.public_id,
        past.public_id,
        closed.public_id,
        "not-a-uuid",
        "00000000-0000-0000-0000-000000000000",
    ):
        assert code_of(lambda t=target: lab_order_book(account=alice, order=exam, session_id=t, actor=actor)) == (
            "lab.session_unavailable"
        )
    lab_order_book(account=alice, order=exam, session_id=open_one.public_id, actor=actor)
    exam.refresh_from_db()
    again = code_of(lambda: lab_order_book(account=alice, order=exam, session_id=open_one.public_id, actor=actor))
    assert again == "lab.already_booked"
    assert ExamSession.objects.get(pk=open_one.pk).booked == 1 and ExamBooking.objects.count() == 1
    assert set(ExamSession.objects.exclude(pk=open_one.pk).values_list("booked", flat=True)) == {0}
    refusals = AuditEvent.objects.filter(action="lab_order.book.refused", target_id=str(exam.public_id))
    assert refusals.count() == 6


def test_an_unpaid_exam_cannot_be_booked(orders, alice):
    target = session(room())
    assert code_of(booking(alice, orders["exam"], target.public_id)) == "lab.not_paid"


def test_a_full_session_refuses_the_next_booking(orders, alice, commit, signed_record, in_progress, dr_bob):
    exam = pay(orders["exam"], alice, commit)
    target = session(room(), capacity=1)
    ExamSession.objects.filter(pk=target.pk).update(booked=1)
    assert code_of(booking(alice, exam, target.public_id)) == "lab.session_full"
    exam.refresh_from_db()
    assert exam.status == LabOrder.Status.PAID  # the move to scheduled rolled back with the refusal


def test_mallory_cannot_book_or_cancel_alices_order(orders, alice, mallory, commit):
    exam = pay(orders["exam"], alice, commit)
    target = session(room())
    book = booking(mallory, exam, target.public_id)
    cancel = partial(lab_order_cancel, by=mallory, order=exam, reason="", actor=Actor.of(mallory))
    assert code_of(book) == code_of(cancel) == "core.not_found"
    assert LabOrder.objects.get(pk=exam.pk).status == LabOrder.Status.PAID


def test_cancelling_a_booked_exam_frees_the_place_and_refunds_in_full(orders, alice, commit):
    exam = pay(orders["exam"], alice, commit)
    target = session(room())
    lab_order_book(account=alice, order=exam, session_id=target.public_id, actor=Actor.of(alice))
    exam.refresh_from_db()
    with commit():
        left = lab_order_cancel(by=alice, order=exam, reason="", actor=Actor.of(alice))
    assert left == LabOrder.Status.SCHEDULED
    exam.refresh_from_db()
    assert exam.status == LabOrder.Status.CANCELLED and exam.refund_requested
    assert ExamSession.objects.get(pk=target.pk).booked == 0
    refund = Refund.objects.get(order__public_id=exam.payment_order_public_id)
    assert refund.amount_fen == exam.amount_fen
    assert OutboxMessage.objects.filter(topic="labs.his_refund").exists() == (refund.status == "succeeded")


def test_cancelling_an_unpaid_order_refunds_nothing_and_closes_its_payment(orders, alice, commit):
    from ihospital.labs.services import lab_order_checkout

    lab = orders["lab"]
    with commit():
        lab_order_checkout(account=alice, order=lab, actor=Actor.of(alice))
    lab.refresh_from_db()
    with commit():
        assert (
            lab_order_cancel(by=alice, order=lab, reason="不需要了", actor=Actor.of(alice)) == LabOrder.Status.ORDERED
        )
    lab.refresh_from_db()
    assert not lab.refund_requested and not Refund.objects.exists()
    assert PaymentOrder.objects.get(public_id=lab.payment_order_public_id).status == PaymentOrder.Status.CLOSED


def test_a_performed_order_can_no_longer_be_cancelled(orders, alice, nina, commit):
    lab = pay(orders["lab"], alice, commit)
    lab_order_perform(order=lab, actor=Actor.of(nina))
    assert code_of(lambda: lab_order_cancel(by=alice, order=lab, reason="", actor=Actor.of(alice))) == (
        "lab.illegal_transition"
    )
    assert not Refund.objects.exists()


def test_an_unknown_check_in_code_is_refused_and_audited(nina, db):
    assert code_of(lambda: lab_order_check_in(staff=nina, code="NOPE-123", actor=Actor.of(nina))) == (
        "lab.unknown_checkin_code"
    )
    assert AuditEvent.objects.filter(action="lab_order.check_in.refused").exists()


def test_a_booked_exam_checks_in_on_its_day_only(orders, alice, nina, commit):
    exam = pay(orders["exam"], alice, commit)
    target = session(room(), starts_in=timedelta(days=2))
    lab_order_book(account=alice, order=exam, session_id=target.public_id, actor=Actor.of(alice))
    assert code_of(lambda: lab_order_check_in(staff=nina, code=exam.checkin_code, actor=Actor.of(nina))) == (
        "lab.not_today"
    )


def test_the_day_before_the_patient_is_reminded_once_with_the_preparation(orders, alice, commit, settings):
    settings.LAB_REMINDER_LOCAL_HOUR = 0
    exam = pay(orders["exam"], alice, commit)
    target = session(room(), starts_in=timedelta(days=1))
    lab_order_book(account=alice, order=exam, session_id=target.public_id, actor=Actor.of(alice))
    with commit():
        assert lab_bookings_remind_due() == 1
        assert lab_bookings_remind_due() == 0
    reminder = Notification.objects.get(user=alice, kind="lab_order.reminder")
    assert "憋尿" in reminder.body and exam.checkin_code in reminder.body
    texts = [message.payload["text"] for message in OutboxMessage.objects.filter(topic="sms.send")]
    assert sum("憋尿" in text for text in texts) == 1


def test_paying_again_reuses_the_open_payment_order_and_replaces_one_that_ran_out(orders, alice, commit):
    from ihospital.labs.services import lab_order_checkout

    lab = orders["lab"]
    with commit():
        first_url = lab_order_checkout(account=alice, order=lab, actor=Actor.of(alice))
        assert lab_order_checkout(account=alice, order=lab, actor=Actor.of(alice)) == first_url
    assert PaymentOrder.objects.filter(payable_id=str(lab.public_id)).count() == 1
    PaymentOrder.objects.filter(payable_id=str(lab.public_id)).update(expires_at=now() - timedelta(minutes=1))
    with commit():
        lab_order_checkout(account=alice, order=lab, actor=Actor.of(alice))
    statuses = sorted(PaymentOrder.objects.filter(payable_id=str(lab.public_id)).values_list("status", flat=True))
    assert statuses == ["closed", "created"]
    lab.refresh_from_db()
    assert PaymentOrder.objects.get(public_id=lab.payment_order_public_id).status == "created"


def test_a_paid_order_cannot_be_paid_again(orders, alice, commit):
    from ihospital.labs.services import lab_order_checkout

    lab = pay(orders["lab"], alice, commit)
    assert code_of(partial(lab_order_checkout, account=alice, order=lab, actor=Actor.of(alice))) == (
        "lab.illegal_transition"
    )


def test_the_ordering_doctor_withdraws_a_paid_order_and_the_patient_is_refunded(orders, alice, dr_bob, dr_erin, commit):
    lab = pay(orders["lab"], alice, commit)
    assert code_of(partial(lab_order_cancel, by=dr_erin, order=lab, reason="", actor=Actor.of(dr_erin))) == (
        "core.not_found"
    )
    with commit():
        assert lab_order_cancel(by=dr_bob, order=lab, reason="改为线下", actor=Actor.of(dr_bob)) == "paid"
    lab.refresh_from_db()
    assert lab.status == LabOrder.Status.CANCELLED and lab.refund_requested and lab.cancel_reason == "改为线下"
    assert Notification.objects.filter(user=alice, kind="lab_order.cancelled").exists()
