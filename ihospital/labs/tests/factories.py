"""Orders, rooms and sessions for the labs tests."""

from __future__ import annotations

import uuid
from datetime import timedelta

from ihospital.audit.services import Actor
from ihospital.core.time import local, now
from ihospital.integrations.payproviders.sandbox import trades
from ihospital.labs.models import ExamRoom, ExamSession, LabOrder
from ihospital.labs.services import OrderInput, lab_order_checkout, lab_orders_place
from ihospital.labs.tests.conftest import PIN
from ihospital.payments.models import PaymentOrder

LAB_CODES = ("JY0004", "JY0008")  # liver function (fasting), HbA1c
EXAM_CODES = ("JC0010",)  # urinary tract ultrasound (full bladder)


def order_input(codes=LAB_CODES + EXAM_CODES, **changes) -> OrderInput:
    values = {
        "request_id": uuid.uuid4(),
        "item_codes": tuple(codes),
        "clinical_question": "血糖控制情况及泌尿系情况评估",
        "diagnosis_code": "E11.9",
    }
    values.update(changes)
    return OrderInput(**values)


def place(doctor, consultation, commit, **changes) -> list[LabOrder]:
    with commit():
        return lab_orders_place(
            doctor=doctor, consultation=consultation, data=order_input(**changes), pin=PIN, actor=Actor.of(doctor)
        )


def pay(order: LabOrder, account, commit) -> LabOrder:
    with commit():
        lab_order_checkout(account=account, order=order, actor=Actor.of(account))
    order.refresh_from_db()
    payment = PaymentOrder.objects.get(public_id=order.payment_order_public_id)
    with commit():
        trades.pay(payment.out_trade_no)
    order.refresh_from_db()
    return order


def room(name="超声3室", modality="US") -> ExamRoom:
    return ExamRoom.objects.create(name=name, modality=modality, department="超声科", place="医技楼2楼 超声科")


def session(exam_room: ExamRoom, *, capacity=3, starts_in=timedelta(days=2)) -> ExamSession:
    start = now() + starts_in
    return ExamSession.objects.create(
        room=exam_room,
        date=local(start).date(),
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=capacity,
    )
