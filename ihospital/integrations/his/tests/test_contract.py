"""One contract, two clients: the in-process sandbox and the soap client through the real gateway (over
HTTP, with WS-Security) give the same answers on the same simulated HIS."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ihospital.integrations.his import base
from ihospital.integrations.his.base import HisError
from ihospital.integrations.his.simulated.seed import persona_patients

pytestmark = pytest.mark.django_db


def alice_query(**changes):
    id_number, name, sex, birth, phone = persona_patients(date.today())[0]
    values = {"id_number": id_number, "name": name, "sex": sex, "birth_date": birth, "phone": phone}
    return base.PatientQuery(**{**values, **changes})


def test_finds_a_known_patient_without_registering_again(his_client, his_sim):
    patient = his_client.find_or_register_patient(alice_query())
    again = his_client.find_or_register_patient(alice_query())
    assert patient == again
    assert patient.patient_id == "00000001" and not patient.created
    assert his_sim.count("patient") == 42


def test_registers_a_new_patient_once(his_client, his_sim):
    query = alice_query(id_number="11010519491231002X", name="新病人")
    first = his_client.find_or_register_patient(query)
    second = his_client.find_or_register_patient(query)
    assert first.created and not second.created
    assert first.patient_id == second.patient_id
    assert his_sim.count("patient", name="新病人") == 1


def test_a_name_that_does_not_match_the_id_number_is_a_permanent_conflict(his_client):
    with pytest.raises(HisError) as refused:
        his_client.find_or_register_patient(alice_query(name="别人"))
    assert refused.value.code == HisError.CONFLICT and refused.value.permanent


def test_an_unknown_patient_is_not_found_when_not_registering(his_client):
    with pytest.raises(HisError) as refused:
        his_client.find_or_register_patient(alice_query(id_number="110105194912310038", register=False))
    assert refused.value.code == HisError.NOT_FOUND


def test_visit_history_has_years_of_in_person_visits_with_icd10_and_prescriptions(his_client):
    history = his_client.visit_history(base.HistoryQuery(patient_id="00000001"))
    assert len(history.visits) == 14
    dates = [visit.visit_date for visit in history.visits]
    assert dates == sorted(dates, reverse=True) and dates[-1] < date.today() - timedelta(days=3 * 365)
    assert all(visit.kind == "in_person" and visit.diagnoses for visit in history.visits)
    assert {d.code for visit in history.visits for d in visit.diagnoses} <= {"I10", "I25.1", "E78.5", "J06.9"}
    assert all(item.drug_code.startswith("YP") for visit in history.visits for item in visit.prescriptions)


def test_visit_history_since_a_date(his_client):
    since = date.today() - timedelta(days=365)
    history = his_client.visit_history(base.HistoryQuery(patient_id="00000001", since=since))
    assert history.visits and all(visit.visit_date >= since for visit in history.visits)


def test_drug_catalogue_pages_and_searches_with_stock_and_flags(his_client):
    page = his_client.drug_catalogue(base.DrugQuery(limit=20))
    assert 290 <= page.total <= 320 and len(page.drugs) == 20
    assert all(len(drug.stock) == 3 for drug in page.drugs)
    antibiotics = his_client.drug_catalogue(base.DrugQuery(keyword="阿莫西林", limit=200))
    assert antibiotics.drugs and all(drug.antibiotic_grade >= 1 for drug in antibiotics.drugs)
    controlled = his_client.drug_catalogue(base.DrugQuery(keyword="唑吡坦"))
    assert controlled.drugs[0].controlled_class == "精二"
    children = his_client.drug_catalogue(base.DrugQuery(keyword="布洛芬混悬液"))
    assert children.drugs[0].children_ok and children.drugs[0].price_fen == 2460


def test_exam_catalogue_by_kind(his_client):
    labs = his_client.exam_catalogue(base.ExamCatalogueQuery(kind="lab"))
    exams = his_client.exam_catalogue(base.ExamCatalogueQuery(kind="exam"))
    assert labs.items and all(item.kind == "lab" for item in labs.items)
    assert exams.items and all(item.kind == "exam" for item in exams.items)
    assert len(his_client.exam_catalogue(base.ExamCatalogueQuery()).items) == len(labs.items) + len(exams.items)


def registration(**changes):
    values = {
        "transaction_id": "GH-TXN-1",
        "patient_id": "00000001",
        "department_code": "cardiology",
        "doctor_code": "dr_bob",
        "session_date": date.today(),
        "period": "morning",
        "slot_number": 3,
        "fee_fen": 5000,
        "reference": "booking-1",
    }
    return base.RegistrationRequest(**{**values, **changes})


def test_registration_and_its_cancellation_are_applied_once_per_transaction(his_client, his_sim):
    registered = his_client.register_visit(registration())
    assert registered.status == "registered" and registered.registration_no.startswith("GH")
    assert his_client.register_visit(registration()) == registered
    assert his_sim.count("registration") == 1 and his_sim.deliveries("GH-TXN-1") == 2
    cancel = base.CancelRegistrationRequest(
        transaction_id="TH-TXN-1", registration_no=registered.registration_no, reason="patient cancelled"
    )
    cancelled = his_client.cancel_registration(cancel)
    assert cancelled.status == "cancelled" and his_client.cancel_registration(cancel) == cancelled


def test_a_transaction_id_reused_for_another_request_is_refused(his_client):
    his_client.register_visit(registration())
    with pytest.raises(HisError) as refused:
        his_client.register_visit(registration(slot_number=4))
    assert refused.value.code == HisError.CONFLICT and refused.value.permanent


def test_registration_for_an_unknown_patient_is_not_found(his_client):
    with pytest.raises(HisError) as refused:
        his_client.register_visit(registration(patient_id="99999999"))
    assert refused.value.code == HisError.NOT_FOUND


def charge(**changes):
    values = {
        "transaction_id": "SF-TXN-1",
        "patient_id": "00000001",
        "amount_fen": 5000,
        "channel": "sandbox",
        "trade_no": "4200000001",
        "item": "挂号费",
        "reference": "order-1",
    }
    return base.ChargeRequest(**{**values, **changes})


def test_charge_and_refund_have_receipts_and_appear_on_the_daily_statement(his_client):
    charged = his_client.charge(charge())
    assert charged.kind == "charge" and charged.amount_fen == 5000 and charged.receipt_no.startswith("SF")
    assert his_client.charge(charge()) == charged
    refund = base.RefundRequest(
        transaction_id="TF-TXN-1",
        receipt_no=charged.receipt_no,
        amount_fen=2000,
        reason="doctor stopped the session",
        reference="refund-1",
    )
    refunded = his_client.refund(refund)
    assert refunded.kind == "refund" and refunded.amount_fen == 2000 and refunded.receipt_no.startswith("TF")
    with pytest.raises(HisError) as too_much:
        his_client.refund(
            base.RefundRequest(
                transaction_id="TF-TXN-2",
                receipt_no=charged.receipt_no,
                amount_fen=3001,
                reason="",
                reference="refund-2",
            )
        )
    assert too_much.value.code == HisError.CONFLICT
    from django.utils import timezone

    from ihospital.integrations.his.codec import HOSPITAL_TZ

    today = timezone.now().astimezone(HOSPITAL_TZ).date()
    statement = his_client.daily_statement(base.StatementQuery(day=today))
    assert (statement.total_charged_fen, statement.total_refunded_fen) == (5000, 2000)
    assert [(line.kind, line.reference, line.trade_no) for line in statement.lines] == [
        ("charge", "order-1", "4200000001"),
        ("refund", "refund-1", "4200000001"),
    ]
    assert statement.lines[0].at.tzinfo is not None
    assert his_client.daily_statement(base.StatementQuery(day=today - timedelta(days=1))).lines == ()


def test_exam_order_reports_lab_results_with_reference_ranges_and_an_exam_report(his_client):
    order = his_client.place_exam_order(
        base.ExamOrderRequest(
            transaction_id="SQ-TXN-1",
            patient_id="00000001",
            doctor_code="dr_bob",
            item_codes=("JY0006", "JC0008"),
            clinical_note="胸闷复查",
            reference="order-9",
        )
    )
    assert order.item_codes == ("JY0006", "JC0008") and order.amount_fen == 4200 + 22000
    status = his_client.exam_order_status(base.ExamOrderQuery(request_no=order.request_no))
    assert status.status == "reported"  # the test HIS reports at once (HIS_SIM_REPORT_DELAY_SECONDS=0)
    lab = his_client.lab_results(base.ExamOrderQuery(request_no=order.request_no))
    assert [item.code for item in lab.items] == ["TC", "TG", "HDL-C", "LDL-C"]
    assert all(item.reference_range and item.flag in "NHL" for item in lab.items)
    assert lab == his_client.lab_results(base.ExamOrderQuery(request_no=order.request_no))
    report = his_client.exam_report(base.ExamOrderQuery(request_no=order.request_no))
    assert report.modality == "US" and report.impression


def test_a_report_not_yet_out_is_not_found(his_client, settings):
    settings.HIS_SIM_REPORT_DELAY_SECONDS = 3600
    order = his_client.place_exam_order(
        base.ExamOrderRequest(
            transaction_id="SQ-TXN-2",
            patient_id="00000001",
            doctor_code="dr_bob",
            item_codes=("JY0001",),
            clinical_note="",
            reference="order-10",
        )
    )
    assert order.status == "placed"
    with pytest.raises(HisError) as refused:
        his_client.lab_results(base.ExamOrderQuery(request_no=order.request_no))
    assert refused.value.code == HisError.NOT_FOUND


def test_an_unknown_exam_item_is_an_invalid_request(his_client):
    with pytest.raises(HisError) as refused:
        his_client.place_exam_order(
            base.ExamOrderRequest(
                transaction_id="SQ-TXN-3",
                patient_id="00000001",
                doctor_code="dr_bob",
                item_codes=("NOPE",),
                clinical_note="",
                reference="x",
            )
        )
    assert refused.value.code == HisError.INVALID_REQUEST and refused.value.permanent


def test_the_exam_catalogue_tells_the_patient_how_to_prepare_where_and_when(his_client):
    items = {item.code: item for item in his_client.exam_catalogue(base.ExamCatalogueQuery()).items}
    assert "空腹" in items["JY0004"].preparation and items["JY0004"].place and items["JY0004"].hours
    assert "憋尿" in items["JC0010"].preparation
    assert all(item.place and item.hours for item in items.values())
