"""The patient's booking pages and the doctor's review page, through Django's test client: what a person
sees, what is refused and that a refusal books nothing."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.timezone import localtime
from PIL import Image

from ihospital.appointments.models import Appointment, Attachment
from ihospital.appointments.services import appointment_book
from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
from ihospital.audit.services import Actor
from ihospital.payments.models import PaymentOrder
from ihospital.scheduling.models import Slot


def png(colour=(30, 120, 200)) -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", (60, 40), colour).save(out, format="PNG")
    return SimpleUploadedFile("blood-pressure.png", out.getvalue(), content_type="image/png")


def form_data(person, **overrides) -> dict:
    values = {
        "visit_person": str(person.public_id),
        "complaint": "高血压复诊，最近血压偏高",
        "prior_visit_date": (date.today() - timedelta(days=60)).isoformat(),
        "prior_hospital": "苏州市立医院",
        "prior_diagnosis": "原发性高血压",
        "follow_up": "on",
    }
    return {**values, **overrides}


@pytest.fixture
def en(client):
    """Pages in English, the source language, so assertions read the messages as written."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def clinic(dr_bob):
    return online_schedule(dr_bob, capacity=3)


@pytest.fixture
def patient(en, alice):
    en.force_login(alice)
    return en


@pytest.fixture
def person(alice):
    return visit_person(alice)


@pytest.fixture
def requested(alice, person, clinic, commit):
    """A booking paid at the sandbox: it waits for dr_bob's review."""
    from ihospital.appointments.services import appointment_checkout
    from ihospital.integrations.payproviders.sandbox import trades

    with commit():
        appointment = appointment_book(account=alice, data=booking(person, clinic), actor=Actor.of(alice))
    appointment_checkout(appointment=appointment, actor=Actor.of(alice))
    with commit():
        trades.pay(PaymentOrder.objects.get(public_id=appointment.payment_order_public_id).out_trade_no)
    appointment.refresh_from_db()
    assert appointment.status == "requested"
    return appointment


def text(response) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------------------- finding a time


def test_triage_red_flags_show_the_emergency_notice_before_any_department(patient, clinic):
    body = text(patient.get("/p/book/", {"text": "胸口疼，喘不上来气"}))
    assert 'data-testid="emergency"' in body and 'href="tel:120"' in body
    assert 'data-testid="suggestion"' in body  # cardiology: dr_bob works there
    assert body.index('data-testid="emergency"') < body.index('data-testid="suggestions"')


def test_triage_suggests_only_departments_the_patient_can_open(patient, clinic):
    from ihospital.appointments.tests.factories import department

    department("respiratory")  # online, but nobody works there
    body = text(patient.get("/p/book/", {"text": "咳嗽，心悸"}))
    assert body.count('data-testid="suggestion"') == 1
    assert f"/p/book/departments/{clinic.department.public_id}/" in body


def test_triage_explains_a_too_long_description_and_keeps_it(patient, clinic):
    typed = "头晕，" * 200
    response = patient.get("/p/book/", {"text": typed})
    body = text(response)
    assert 'data-testid="error-text" data-code="guidance.text_too_long"' in body
    assert "at most 500 characters" in body
    assert typed in body  # what was typed stays in the field


def test_the_patient_finds_a_doctor_and_a_free_time(patient, clinic):
    department = clinic.department
    assert f"/p/book/departments/{department.public_id}/" in text(patient.get("/p/book/"))

    doctors = patient.get(f"/p/book/departments/{department.public_id}/")
    assert doctors.status_code == 200
    doctor = clinic.doctor
    assert f"/p/book/doctors/{doctor.public_id}/" in text(doctors)
    assert "Next free time:" in text(doctors)

    week = patient.get(f"/p/book/doctors/{doctor.public_id}/")
    assert week.status_code == 200
    assert text(week).count('data-testid="slot"') == 3
    assert f"/p/book/schedules/{clinic.public_id}/?slot=1" in text(week)
    assert 'data-testid="back"' in text(week)


def test_the_booking_form_explains_the_follow_up_rule_and_the_payment_hold(patient, person, clinic):
    page = patient.get(f"/p/book/schedules/{clinic.public_id}/?slot=2")
    assert page.status_code == 200
    body = text(page)
    assert 'data-testid="follow-up-rule"' in body and "follow-up visits only" in body
    assert 'data-testid="hold-note"' in body and "15 minutes" in body
    slot = Slot.objects.get(schedule=clinic, number=2)
    assert f"{localtime(slot.starts_at):%Y-%m-%d}" in body and f"{localtime(slot.starts_at):%H:%M}" in body
    assert 'type="file"' in body and "multiple" in body and 'accept="image/jpeg,image/png' in body


def test_an_anonymous_visitor_is_sent_to_sign_in(en, clinic):
    response = en.get(f"/p/book/schedules/{clinic.public_id}/")
    assert response.status_code == 302 and response["Location"].startswith("/p/sign-in/")


# ------------------------------------------------------------------------------------------- booking


def test_booking_with_a_report_photo_holds_the_slot_and_goes_to_the_cashier(patient, person, clinic, alice):
    response = patient.post(
        f"/p/book/schedules/{clinic.public_id}/?slot=2", {**form_data(person), "slot": "2", "files": [png(), png()]}
    )
    appointment = Appointment.objects.get(account=alice)
    assert response.status_code == 302 and response["Location"] == f"/p/appointments/{appointment.public_id}/pay/"
    assert (appointment.status, appointment.slot.number, appointment.slot.status) == ("pending_payment", 2, "held")
    assert [a.content_type for a in appointment.attachments.all()] == ["image/png", "image/png"]

    cashier = patient.get(response["Location"])
    order = PaymentOrder.objects.get(public_id=appointment.payment_order_public_id)
    assert cashier.status_code == 302 and cashier["Location"].endswith(f"/sandbox/pay/{order.out_trade_no}/")

    detail = patient.get(f"/p/appointments/{appointment.public_id}/")
    body = text(detail)
    assert 'data-status="pending_payment"' in body and "Not paid yet" in body
    assert 'data-testid="hold"' in body and f"/p/appointments/{appointment.public_id}/pay/" in body
    assert body.count('data-testid="attachment"') == 2


def test_paying_at_the_cashier_brings_the_patient_back_to_paid_awaiting_review(patient, person, clinic, alice, commit):
    patient.post(f"/p/book/schedules/{clinic.public_id}/", form_data(person))
    appointment = Appointment.objects.get(account=alice)
    cashier_url = patient.get(f"/p/appointments/{appointment.public_id}/pay/")["Location"]
    with commit():
        back = patient.post(cashier_url, {"action": "confirm"})
    assert back.status_code == 302
    assert back["Location"].endswith(f"/p/appointments/{appointment.public_id}/?checkout=returned")

    body = text(patient.get(f"/p/appointments/{appointment.public_id}/"))
    assert 'data-status="requested"' in body and "waiting for the doctor" in body
    assert 'data-testid="pay"' not in body and 'data-testid="receipt"' in body


def test_an_invalid_upload_type_is_explained_and_books_nothing(patient, person, clinic):
    fake = SimpleUploadedFile("report.png", b"MZ\x90\x00 this is a program, not a photo", content_type="image/png")
    response = patient.post(f"/p/book/schedules/{clinic.public_id}/", {**form_data(person), "files": [png(), fake]})
    assert response.status_code == 200
    body = text(response)
    assert 'data-testid="error-files"' in body
    assert "report.png: Only photos (JPEG, PNG or WebP) and PDF documents can be uploaded." in body
    assert 'data-testid="files-lost"' in body  # the browser forgets chosen files: say so
    assert not Appointment.objects.exists() and not Attachment.objects.exists()
    assert not Slot.objects.filter(schedule=clinic).exclude(status="free").exists()
    assert not PaymentOrder.objects.exists()


def test_too_many_files_are_refused_before_anything_is_booked(patient, person, clinic, settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    response = patient.post(f"/p/book/schedules/{clinic.public_id}/", {**form_data(person), "files": [png()] * 3})
    assert "at most 2 can be attached" in text(response)
    assert not Appointment.objects.exists()


def test_the_follow_up_confirmation_is_required(patient, person, clinic):
    data = form_data(person)
    del data["follow_up"]
    response = patient.post(f"/p/book/schedules/{clinic.public_id}/", data)
    assert 'data-testid="error-follow_up"' in text(response) and "Tick this box" in text(response)
    assert not Appointment.objects.exists()


def test_the_services_refusals_appear_on_their_fields(patient, person, clinic):
    response = patient.post(
        f"/p/book/schedules/{clinic.public_id}/",
        form_data(person, complaint="痛", prior_visit_date=(date.today() - timedelta(days=365 * 6)).isoformat()),
    )
    body = text(response)
    assert 'data-testid="error-complaint"' in body and 'data-testid="error-prior_visit_date"' in body
    assert "Please correct the highlighted fields below." in body
    assert 'value="苏州市立医院"' in body  # what was typed is kept
    assert not Appointment.objects.exists()


def test_a_full_session_says_so_before_and_after_submitting(patient, person, dr_bob, mallory):
    full = online_schedule(dr_bob, capacity=1)
    appointment_book(account=mallory, data=booking(visit_person(mallory, 2), full), actor=Actor.of(mallory))

    page = patient.get(f"/p/book/schedules/{full.public_id}/")
    body = text(page)
    assert 'data-testid="unavailable"' in body and "This session is fully booked." in body
    assert 'data-testid="booking-form"' not in body

    response = patient.post(f"/p/book/schedules/{full.public_id}/", form_data(person))
    assert response.status_code == 200 and "This session is fully booked." in text(response)
    assert Appointment.objects.count() == 1


def test_a_time_taken_meanwhile_is_refused_with_a_way_back(patient, person, clinic, mallory):
    appointment_book(
        account=mallory, data=booking(visit_person(mallory, 2), clinic, slot_number=1), actor=Actor.of(mallory)
    )
    page = patient.get(f"/p/book/schedules/{clinic.public_id}/?slot=1")
    assert 'data-testid="unavailable"' in text(page) and "just been taken" in text(page)
    assert f"/p/book/doctors/{clinic.doctor.public_id}/" in text(page)


def test_an_unknown_session_is_404(patient):
    assert patient.get("/p/book/schedules/00000000-0000-0000-0000-000000000000/").status_code == 404


# ---------------------------------------------------------------------------------- the patient's view


def test_another_patients_appointment_is_404_everywhere(en, mallory, requested):
    en.force_login(mallory)
    base = f"/p/appointments/{requested.public_id}/"
    assert en.get(base).status_code == 404
    assert en.get(f"{base}pay/").status_code == 404
    assert en.post(f"{base}cancel/").status_code == 404
    Appointment.objects.filter(pk=requested.pk).update(status="pending_payment")
    assert en.get(f"{base}pay/").status_code == 404
    requested.refresh_from_db()
    assert requested.status == "pending_payment"


def test_another_patient_cannot_open_an_attachment(en, alice, mallory, person, clinic, dr_erin):
    en.force_login(alice)
    en.post(f"/p/book/schedules/{clinic.public_id}/", {**form_data(person), "files": [png()]})
    attachment = Attachment.objects.get()
    url = f"/files/attachments/{attachment.public_id}/"
    assert en.get(url).status_code == 200
    for outsider in (mallory, dr_erin):
        en.force_login(outsider)
        assert en.get(url).status_code == 404


def test_my_appointments_lists_the_booking_with_its_state(patient, requested):
    body = text(patient.get("/p/appointments/"))
    assert f"/p/appointments/{requested.public_id}/" in body and 'data-status="requested"' in body


def test_the_patient_cancels_a_paid_request_and_is_refunded(patient, requested, commit):
    with commit():
        response = patient.post(f"/p/appointments/{requested.public_id}/cancel/")
    assert response.status_code == 302
    body = text(patient.get(response["Location"]))
    assert 'data-status="cancelled"' in body and 'data-refund="done"' in body
    assert "You cancelled this booking" in body and 'data-testid="cancel"' not in body


def test_paying_again_after_the_hold_ran_out_is_refused_in_plain_words(patient, person, clinic, alice):
    patient.post(f"/p/book/schedules/{clinic.public_id}/", form_data(person))
    appointment = Appointment.objects.get(account=alice)
    Appointment.objects.filter(pk=appointment.pk).update(hold_expires_at=appointment.created_at)
    response = patient.get(f"/p/appointments/{appointment.public_id}/pay/", follow=True)
    body = text(response)
    assert "This booking is no longer awaiting payment." in body
    assert "The time to pay ran out" in body and 'data-testid="pay"' not in body


# -------------------------------------------------------------------------------------- the doctor's side


@pytest.fixture
def doctor(en, dr_bob):
    en.force_login(dr_bob)
    return en


def test_the_doctor_sees_the_request_with_its_declaration(doctor, requested):
    body = text(doctor.get("/staff/review/"))
    assert f'data-id="{requested.public_id}"' in body
    assert requested.complaint in body and requested.prior_diagnosis in body and requested.prior_hospital in body
    assert 'data-testid="no-attachments"' in body


def test_accepting_without_confirming_the_diagnosis_is_refused_with_a_message(doctor, requested):
    response = doctor.post(f"/staff/review/{requested.public_id}/", {"decision": "accept"})
    assert response.status_code == 422
    body = text(response)
    assert 'data-testid="review-error"' in body
    assert "Confirm the in-person diagnosis, or decline and advise an in-person visit." in body
    requested.refresh_from_db()
    assert requested.status == "requested"


def test_the_doctor_accepts_and_the_patient_sees_it(doctor, requested, en, alice):
    response = doctor.post(
        f"/staff/review/{requested.public_id}/", {"decision": "accept", "prior_diagnosis_confirmed": "on"}
    )
    assert response.status_code == 302 and response["Location"] == "/staff/review/"
    queue = text(doctor.get("/staff/review/"))
    assert 'data-testid="queue-empty"' in queue and requested.visit_person.name in queue  # now upcoming

    en.force_login(alice)
    body = text(en.get(f"/p/appointments/{requested.public_id}/"))
    assert 'data-status="accepted"' in body and 'data-testid="accepted-note"' in body


def test_declining_needs_a_reason_and_then_refunds(doctor, requested, en, alice, commit):
    refused = doctor.post(f"/staff/review/{requested.public_id}/", {"decision": "reject", "reason": " "})
    assert refused.status_code == 422 and "Give the patient a reason" in text(refused)
    requested.refresh_from_db()
    assert requested.status == "requested"

    with commit():
        response = doctor.post(
            f"/staff/review/{requested.public_id}/", {"decision": "reject", "reason": "请先到门诊面诊"}
        )
    assert response.status_code == 302

    en.force_login(alice)
    body = text(en.get(f"/p/appointments/{requested.public_id}/"))
    assert 'data-status="rejected"' in body and "请先到门诊面诊" in body
    assert 'data-testid="refund-done"' in body and 'data-refund="done"' in body


def test_another_doctors_request_is_404(en, dr_erin, requested):
    en.force_login(dr_erin)
    assert f'data-id="{requested.public_id}"' not in text(en.get("/staff/review/"))
    for decision in ({"decision": "accept", "prior_diagnosis_confirmed": "on"}, {"decision": "reject", "reason": "no"}):
        assert en.post(f"/staff/review/{requested.public_id}/", decision).status_code == 404
    requested.refresh_from_db()
    assert requested.status == "requested"


def test_patients_are_kept_out_of_the_review_page(patient, requested):
    response = patient.get("/staff/review/")
    assert response.status_code == 403
    assert patient.post(f"/staff/review/{requested.public_id}/", {"decision": "accept"}).status_code == 403


def test_the_booking_form_shows_every_mistake_at_once_and_keeps_what_was_typed(patient, person, clinic):
    """Too short a complaint and too old a diagnosis (the booking's own rules), and no follow-up tick (the
    form's): all three on the first try, with what was typed still in the fields. Nothing is booked."""
    too_old = (date.today() - timedelta(days=365 * 6)).isoformat()
    typed = form_data(person, complaint="头晕", prior_visit_date=too_old, prior_hospital="苏州市立医院")
    del typed["follow_up"]
    response = patient.post(f"/p/book/schedules/{clinic.public_id}/", typed)
    body = text(response)
    assert response.status_code == 200
    for field in ("complaint", "prior_visit_date", "follow_up"):
        assert f'data-testid="error-{field}"' in body, field
    assert "头晕" in body and f'value="{too_old}"' in body and 'value="苏州市立医院"' in body
    assert not Appointment.objects.exists()
