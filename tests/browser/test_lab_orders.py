"""Lab tests and exams end to end: during the consultation the doctor orders a lab test and an ultrasound
from the HIS catalogue with the signed record's diagnosis and signs with the PIN; on a 360 px phone the
patient sees each order with its price, preparation, place and hours, pays the ultrasound at the sandbox
cashier, books a time in an exam session and gets the check-in code; on the day the nurse checks her in
with it and marks the exam done. (The results' side extends this to
reading the report.)"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from ihospital.accounts.identity import staff_identity_confirm
from ihospital.audit.services import Actor
from ihospital.consultations.tests.conftest import accepted_booking, in_consultation
from ihospital.core.testing.personas import PASSWORD
from ihospital.core.time import local, now
from ihospital.labs.models import ExamSession, LabOrder
from ihospital.labs.tests.factories import room, session
from ihospital.records.services import RecordContent, record_draft_save, record_open, record_sign
from ihospital.signatures import services as signatures
from tests.browser.test_consultation import DESK
from tests.browser.test_registration import (  # noqa: F401 (sandbox_over_http: an autouse fixture)
    sandbox_over_http,
    signed_in,
)

PIN = "246810"


def consultation_with_signed_record(alice, dr_bob):
    """alice's consultation with dr_bob under way, its record signed with E11.9 and I10."""
    signatures.ca_setup(actor=Actor.system("test"))
    signatures.signing_pin_set(holder=dr_bob, current_pin=None, new_pin=PIN, actor=Actor.of(dr_bob))
    appointment = accepted_booking(alice, dr_bob, contextlib.nullcontext, slot_in=timedelta(minutes=10))
    staff_identity_confirm(user=dr_bob, password=PASSWORD, actor=Actor.of(dr_bob))
    consultation = in_consultation(appointment, dr_bob, contextlib.nullcontext)
    draft = record_open(doctor=dr_bob, consultation=consultation, actor=Actor.of(dr_bob))
    content = RecordContent(chief_complaint="糖尿病、高血压复诊", diagnoses=["E11.9", "I10"])
    draft = record_draft_save(
        doctor=dr_bob, version=draft, content=content, revision=draft.revision, actor=Actor.of(dr_bob)
    )
    record_sign(doctor=dr_bob, version=draft, revision=draft.revision, pin=PIN, actor=Actor.of(dr_bob))
    return consultation


@pytest.mark.browser
def test_the_doctor_orders_and_the_patient_pays_and_books_an_exam_on_a_phone(
    browser, new_phone_context, live_server, screenshot, alice, dr_bob, nina
):
    consultation = consultation_with_signed_record(alice, dr_bob)
    ultrasound = room()
    tomorrow, later = session(ultrasound, starts_in=timedelta(days=1)), session(ultrasound, starts_in=timedelta(days=2))

    # The doctor, at the desk: from the consulting room to the order form; a wrong PIN first.
    doctor = signed_in(new_phone_context(browser, **DESK), live_server, dr_bob).new_page()
    doctor.goto(f"{live_server.url}/staff/consultations/{consultation.public_id}/")
    with doctor.context.expect_page() as opened:
        doctor.get_by_test_id("order-labs").click()
    form = opened.value
    form.get_by_test_id("item-JY0008").check()  # HbA1c
    form.get_by_test_id("item-JC0010").check()  # urinary tract ultrasound: a full bladder
    form.get_by_label("E11.9", exact=False).check()
    form.get_by_test_id("clinical-question").fill("血糖控制情况；排查泌尿系并发症")
    form.get_by_test_id("order-pin").fill("135799")
    form.get_by_test_id("order-sign").click()
    expect(form.get_by_test_id("order-error")).to_be_visible()
    assert not LabOrder.objects.exists()
    form.get_by_test_id("order-pin").fill(PIN)
    form.get_by_test_id("order-sign").click()
    expect(form.get_by_test_id("placed-order")).to_have_count(2)
    screenshot(form, "labs-1-doctor-order")
    exam = LabOrder.objects.get(kind="exam")
    assert exam.signature_id and exam.his_request_no  # signed, and placed in the HIS through the outbox

    # The patient, on the phone: the orders with price, preparation, place and hours.
    patient = signed_in(new_phone_context(browser), live_server, alice).new_page()
    patient.goto(f"{live_server.url}/p/")
    patient.get_by_test_id("go-lab-orders").click()
    expect(patient.get_by_test_id("lab-order-row")).to_have_count(2)
    screenshot(patient, "labs-2-patient-list")
    patient.locator("[data-testid=lab-order-row][data-kind=exam]").click()
    item = patient.get_by_test_id("item")
    expect(item.get_by_test_id("preparation")).to_contain_text("憋尿")
    expect(item.get_by_test_id("place")).to_contain_text("超声科")
    expect(patient.get_by_test_id("amount")).to_contain_text("140.00")
    screenshot(patient, "labs-3-patient-order")

    # Pays at the sandbox cashier and comes back; then books the earlier session.
    patient.get_by_test_id("pay").click()
    patient.get_by_test_id("sandbox-confirm").click()
    expect(patient.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    expect(patient.get_by_test_id("session")).to_have_count(2)
    screenshot(patient, "labs-4-patient-choose-time")
    patient.get_by_test_id("session").first.locator("input").check()
    patient.get_by_test_id("book").click()
    expect(patient.get_by_test_id("order-status")).to_have_attribute("data-status", "scheduled")
    expect(patient.get_by_test_id("booked-time")).to_be_visible()
    expect(patient.get_by_test_id("checkin-code")).to_have_text(exam.checkin_code)
    qr = patient.locator("[data-testid=checkin] img")
    expect(qr).to_be_visible()
    # the QR code is an image that loads (waited for: under load it can still be on its way when visible)
    patient.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    screenshot(patient, "labs-5-patient-booked")
    assert ExamSession.objects.get(pk=tomorrow.pk).booked == 1 and ExamSession.objects.get(pk=later.pk).booked == 0
    width = patient.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is wider than the phone: {width}px"

    # The day comes: at the desk the nurse types the code from the patient's phone, then marks the exam done.
    ExamSession.objects.filter(pk=tomorrow.pk).update(date=local(now()).date())
    nurse = signed_in(new_phone_context(browser, **DESK), live_server, nina).new_page()
    nurse.goto(f"{live_server.url}/staff/lab-checkin/")
    nurse.get_by_test_id("checkin-code").fill("NOT-A-CODE")
    nurse.get_by_test_id("checkin-submit").click()
    expect(nurse.get_by_test_id("checkin-error")).to_be_visible()
    nurse.get_by_test_id("checkin-code").fill(exam.checkin_code.lower())
    nurse.get_by_test_id("checkin-submit").click()
    expect(nurse.get_by_test_id("checked-in")).to_contain_text("泌尿系彩超")
    screenshot(nurse, "labs-6-nurse-check-in")
    nurse.get_by_test_id("performed").click()
    expect(nurse.get_by_test_id("checked-in-today").get_by_test_id("order-status")).to_have_attribute(
        "data-status", "performed"
    )
    assert LabOrder.objects.get(pk=exam.pk).status == LabOrder.Status.PERFORMED
