"""The doctor orders from the HIS catalogue with a diagnosis of the signed record; signed, placed once."""

from functools import partial

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.models import OutboxMessage
from ihospital.labs.models import LabOrder
from ihospital.labs.services import DOCUMENT_TYPE, lab_orders_place, order_payload
from ihospital.labs.tests.conftest import PIN
from ihospital.labs.tests.factories import EXAM_CODES, LAB_CODES, order_input, place
from ihospital.notifications.models import Notification
from ihospital.records.tests.conftest import written
from ihospital.signatures.selectors import signature_verify


def test_lab_tests_and_an_exam_become_two_signed_orders_placed_in_the_his(
    signed_record, in_progress, dr_bob, commit, his_sim
):
    orders = place(dr_bob, in_progress, commit)
    lab, exam = sorted(orders, key=lambda order: order.kind != "lab")
    assert (lab.kind, lab.needs_booking, lab.amount_fen) == ("lab", False, 6800 + 6000)
    assert (exam.kind, exam.modality, exam.needs_booking, exam.amount_fen) == ("exam", "US", True, 14000)
    assert [item.code for item in lab.items.all()] == list(LAB_CODES)
    item = exam.items.get()
    assert "憋尿" in item.preparation and item.place and item.hours
    for order in (lab, exam):
        order.refresh_from_db()
        assert order.status == LabOrder.Status.ORDERED
        assert (order.diagnosis_code, order.record_version_id) == ("E11.9", signed_record.pk)
        assert order.his_request_no.startswith("SQ")  # the outbox delivered it through the HIS client
        assert signature_verify(signature=order.signature, payload=order_payload(order, _items(order))).valid
        assert order.signature.document_type == DOCUMENT_TYPE
    placed = OutboxMessage.objects.filter(topic="labs.his_place")
    assert placed.count() == 2 and set(placed.values_list("status", flat=True)) == {"sent"}
    assert Notification.objects.filter(kind="lab_order.ordered").count() == 2


def _items(order):
    return list(order.items.values("code", "name", "price_fen"))


def test_the_same_form_sent_twice_orders_once(signed_record, in_progress, dr_bob, commit):
    data = order_input()
    for _attempt in range(2):
        with commit():
            lab_orders_place(doctor=dr_bob, consultation=in_progress, data=data, pin=PIN, actor=Actor.of(dr_bob))
    assert LabOrder.objects.count() == 2
    assert OutboxMessage.objects.filter(topic="labs.his_place").count() == 2


def _refusal(call):
    from ihospital.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


def _order(doctor, consultation, **changes):
    return lambda: lab_orders_place(
        doctor=doctor,
        consultation=consultation,
        data=order_input(**changes),
        pin=changes.pop("pin", PIN),
        actor=Actor.of(doctor),
    )


def test_unknown_catalogue_codes_are_refused_audited_and_nothing_is_written(signed_record, in_progress, dr_bob):
    code = _refusal(_order(dr_bob, in_progress, codes=("JY0004", "NOPE1", "<script>")))
    assert code == "lab.unknown_item"
    assert not LabOrder.objects.exists() and not OutboxMessage.objects.filter(topic="labs.his_place").exists()
    refusal = AuditEvent.objects.get(action="lab_order.create.refused")
    assert refusal.details["code"] == "lab.unknown_item" and "NOPE1" in refusal.details["codes"]


def test_without_a_signed_record_there_is_no_diagnosis_to_order_with(can_sign, draft, in_progress, dr_bob):
    written(draft, dr_bob)  # written, not signed
    assert _refusal(_order(dr_bob, in_progress)) == "lab.no_signed_diagnosis"
    assert not LabOrder.objects.exists()


def test_the_diagnosis_must_be_one_of_the_signed_record(signed_record, in_progress, dr_bob):
    assert _refusal(_order(dr_bob, in_progress, diagnosis_code="I10")) == "lab.diagnosis_not_in_record"


def test_another_doctor_cannot_order_for_the_consultation(signed_record, in_progress, dr_erin):
    assert _refusal(_order(dr_erin, in_progress)) == "lab.not_your_patient"


def test_a_wrong_pin_signs_nothing_and_orders_nothing(signed_record, in_progress, dr_bob):
    call = partial(
        lab_orders_place,
        doctor=dr_bob,
        consultation=in_progress,
        data=order_input(),
        pin="000000",
        actor=Actor.of(dr_bob),
    )
    assert _refusal(call) == "signature.pin_wrong"
    assert not LabOrder.objects.exists()


def test_a_clinical_question_is_required(signed_record, in_progress, dr_bob):
    assert _refusal(_order(dr_bob, in_progress, clinical_question="  ")) == "lab.question_required"


def test_exam_codes_alone_make_one_order_per_modality(signed_record, in_progress, dr_bob, commit):
    orders = place(dr_bob, in_progress, commit, codes=EXAM_CODES + ("JC0006", "JC0011"))
    assert sorted((o.modality, o.items.count()) for o in orders) == [("ECG", 1), ("US", 2)]
