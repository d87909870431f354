"""The medical record end to end: during a video consultation the doctor writes the record beside the
video (autosaved), finds the diagnosis by its pinyin initials, signs with the PIN; the patient then reads
the signed record on the phone and downloads the PDF, whose text is checked."""

from __future__ import annotations

import contextlib
import io
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from ihospital.accounts.identity import staff_identity_confirm
from ihospital.audit.services import Actor
from ihospital.consultations.tests.conftest import accepted_booking, in_consultation
from ihospital.core.testing.personas import PASSWORD
from ihospital.records.models import RecordVersion
from ihospital.signatures import services as signatures
from tests.browser import test_consultation as room
from tests.browser.conftest import PHONE
from tests.browser.test_consultation import DESK, VIDEO_PLAYING, signed_in_context

PIN = "246810"
asgi_server = room.asgi_server  # the module's uvicorn server fixture


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_doctor_writes_and_signs_the_record_during_the_video_call_and_the_patient_downloads_it(
    media_browser,
    asgi_server,
    alice,
    dr_bob,
    screenshot,
):
    signatures.ca_setup(actor=Actor.system("test"))
    signatures.signing_pin_set(holder=dr_bob, current_pin=None, new_pin=PIN, actor=Actor.of(dr_bob))
    appointment = accepted_booking(alice, dr_bob, contextlib.nullcontext, slot_in=timedelta(minutes=10))
    staff_identity_confirm(user=dr_bob, password=PASSWORD, actor=Actor.of(dr_bob))
    consultation = in_consultation(appointment, dr_bob, contextlib.nullcontext)
    patient_context = signed_in_context(media_browser, asgi_server, alice, **PHONE)
    doctor_context = signed_in_context(media_browser, asgi_server, dr_bob, **DESK)
    try:
        patient: Page = patient_context.new_page()
        doctor: Page = doctor_context.new_page()
        patient.goto(f"/p/consultations/{consultation.public_id}/")
        doctor.goto(f"/staff/consultations/{consultation.public_id}/")
        for page in (patient, doctor):
            page.get_by_test_id("remote-video").evaluate(VIDEO_PLAYING)

        # The editor beside the video: the draft opened, the patient's facts shown once (the room's card,
        # not the editor), the text autosaved.
        expect(doctor.get_by_test_id("record-status")).to_have_attribute("data-status", "draft")
        expect(doctor.get_by_test_id("patient-facts")).to_be_visible()
        expect(doctor.get_by_test_id("patient-allergies")).to_have_count(1)
        doctor.get_by_test_id("rec-chief_complaint").fill("咳嗽、咽痛三天")
        doctor.get_by_test_id("rec-present_illness").fill("三天前受凉后咽痛，伴干咳，无发热。")
        doctor.get_by_test_id("icd-query").fill("jxshxdgr")
        doctor.get_by_test_id("icd-results").locator("[data-code='J06.9']").click()
        expect(doctor.get_by_test_id("rec-diagnoses").locator("[data-code='J06.9']")).to_be_visible()
        doctor.get_by_test_id("rec-treatment_advice").fill("多饮水，注意休息。")
        # A common phrase, added once, goes into the field last written in with one click.
        doctor.locator("details[data-tools] summary").click()
        doctor.get_by_test_id("phrase-text").fill("三天后复诊")
        doctor.get_by_test_id("phrase-add").click()
        doctor.get_by_test_id("rec-follow_up_advice").click()
        doctor.get_by_test_id("phrases").get_by_role("button", name="三天后复诊").click()
        expect(doctor.get_by_test_id("rec-follow_up_advice")).to_have_value("三天后复诊")
        expect(doctor.get_by_test_id("record-editor")).to_have_attribute("data-saved", "true")
        draft = RecordVersion.objects.get(record__consultation=consultation)
        assert draft.chief_complaint == "咳嗽、咽痛三天" and draft.diagnoses[0]["code"] == "J06.9"
        assert draft.follow_up_advice == "三天后复诊"
        screenshot(doctor, "record-1-editor")

        # A wrong PIN is refused with its message; the right one signs and locks the record.
        doctor.get_by_test_id("record-pin").fill("135799")
        doctor.get_by_test_id("record-sign").click()
        expect(doctor.get_by_test_id("record-error")).to_be_visible()
        doctor.get_by_test_id("record-pin").fill(PIN)
        doctor.get_by_test_id("record-sign").click()
        expect(doctor.get_by_test_id("record-status")).to_have_attribute("data-status", "signed")
        expect(doctor.get_by_test_id("rec-chief_complaint")).not_to_be_editable()
        expect(doctor.get_by_test_id("record-amend")).to_be_visible()
        screenshot(doctor, "record-2-signed")
        signed = RecordVersion.objects.select_related("signature__certificate").get(record__consultation=consultation)
        assert signed.status == "signed"

        # The patient reads it on the phone and downloads the PDF.
        patient.goto("/p/records/")
        patient.get_by_test_id("record-row").first.click()
        expect(patient.get_by_test_id("chief-complaint").first).to_have_text("咳嗽、咽痛三天")
        screenshot(patient, "record-3-patient")
        with patient.expect_download() as download:
            patient.get_by_test_id("pdf").first.click()
        with open(download.value.path(), "rb") as pdf:
            text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
        text = text.replace(" ", "").replace("\n", "")
        for expected in (
            "咳嗽、咽痛三天",
            "急性上呼吸道感染",
            "J06.9",
            signed.signature.certificate.serial,
            "门诊病历",
        ):
            assert expected in text, expected
    finally:
        patient_context.close()
        doctor_context.close()
