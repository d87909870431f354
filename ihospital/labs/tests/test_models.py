"""The order's states and the session's capacity hold in the database itself."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.labs.models import ExamBooking, ExamRoom, ExamSession, LabOrder, LabOrderItem
from ihospital.records.errors import RecordError


def make_order(consultation, version, **changes):
    values = {
        "consultation": consultation,
        "visit_person": consultation.appointment.visit_person,
        "doctor": consultation.doctor,
        "kind": LabOrder.Kind.EXAM,
        "modality": "US",
        "needs_booking": True,
        "clinical_question": "腹痛待查",
        "record_version": version,
        "diagnosis_code": "J06.9",
        "diagnosis_name": "急性上呼吸道感染",
        "amount_fen": 16000,
        "created_at": now(),
    }
    values.update(changes)
    return LabOrder.objects.create(**values)


def make_session(capacity=2, **changes):
    room = ExamRoom.objects.create(name="超声3室", modality="US", department="超声科", place="门诊楼3楼")
    start = now() + timedelta(days=1)
    return ExamSession.objects.create(
        room=room, date=start.date(), starts_at=start, ends_at=start + timedelta(hours=1), capacity=capacity, **changes
    )


def test_the_declared_transitions_follow_spec_section_5():
    status = LabOrder.Status
    assert LabOrder.TRANSITIONS[status.PAID] == {status.ORDERED}
    assert LabOrder.TRANSITIONS[status.SCHEDULED] == {status.PAID}
    assert LabOrder.TRANSITIONS[status.REPORTED] == {status.PERFORMED}
    assert status.PERFORMED not in LabOrder.TRANSITIONS[status.CANCELLED]
    assert status.REPORTED not in LabOrder.TRANSITIONS[status.CANCELLED]


def test_an_order_is_never_deleted(signed_record, in_progress):
    order = make_order(in_progress, signed_record)
    with pytest.raises(DomainError) as refused:
        order.delete()
    assert refused.value.code == RecordError.NOT_DELETABLE.code
    assert LabOrder.objects.filter(pk=order.pk).exists()


def test_each_order_gets_its_own_check_in_code(signed_record, in_progress):
    first, second = make_order(in_progress, signed_record), make_order(in_progress, signed_record)
    assert len(first.checkin_code) == 10 and first.checkin_code != second.checkin_code


def test_a_lab_order_has_no_modality_and_needs_no_booking(signed_record, in_progress):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_order(in_progress, signed_record, kind=LabOrder.Kind.LAB, modality="", needs_booking=True)


def test_a_paid_order_carries_its_payment_time(signed_record, in_progress):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_order(in_progress, signed_record, status=LabOrder.Status.PAID)


def test_items_keep_their_position(signed_record, in_progress):
    order = make_order(in_progress, signed_record)
    LabOrderItem.objects.create(
        order=order, position=1, code="JC0006", name="腹部彩超", price_fen=16000, specimen="US", department="超声科"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        LabOrderItem.objects.create(
            order=order,
            position=1,
            code="JC0007",
            name="甲状腺彩超",
            price_fen=12000,
            specimen="US",
            department="超声科",
        )


@pytest.mark.django_db
def test_a_session_cannot_hold_more_than_its_capacity():
    session = make_session(capacity=1)
    ExamSession.objects.filter(pk=session.pk).update(booked=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamSession.objects.filter(pk=session.pk).update(booked=2)


def test_an_order_has_one_active_booking(signed_record, in_progress):
    order = make_order(in_progress, signed_record)
    session = make_session()
    ExamBooking.objects.create(order=order, session=session, created_at=now())
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamBooking.objects.create(order=order, session=session, created_at=now())
    ExamBooking.objects.filter(order=order).update(status=ExamBooking.Status.CHANGED)
    ExamBooking.objects.create(order=order, session=session, created_at=now())
