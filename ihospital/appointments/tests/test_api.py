"""Booking over the patient API: find a doctor, book with an Idempotency-Key, attach, pay; review over
the staff API."""

import io
from datetime import date, timedelta

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from ihospital.accounts.services import api_token_issue
from ihospital.appointments.models import Appointment, Attachment
from ihospital.appointments.tests.factories import SYSTEM, department, online_schedule, visit_person

P = "/api/patient/v1"
S = "/api/staff/v1"


def client_for(user) -> Client:
    secret, _ = api_token_issue(user=user, actor=SYSTEM)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def body(person, clinic, **overrides):
    values = {
        "visit_person_id": str(person.public_id),
        "schedule_id": str(clinic.public_id),
        "complaint": "糖尿病复诊，空腹血糖偏高",
        "prior_visit_date": str(date.today() - timedelta(days=30)),
        "prior_hospital": "苏州市立医院",
        "prior_diagnosis": "2型糖尿病",
    }
    return {**values, **overrides}


@pytest.fixture
def clinic(dr_bob):
    return online_schedule(dr_bob, capacity=4)


def test_find_a_doctor_then_book(alice, dr_bob, clinic):
    api = client_for(alice)
    departments = api.get(f"{P}/departments").json()
    cardiology = next(d for d in departments if d["code"] == "cardiology")
    doctors = api.get(f"{P}/departments/{cardiology['id']}/doctors").json()
    assert doctors[0]["free_count"] == 4 and doctors[0]["next_free_at"]
    sessions = api.get(f"{P}/doctors/{doctors[0]['id']}/schedules").json()
    assert [len(s["free_slots"]) for s in sessions] == [4]
    booked = api.post(f"{P}/appointments", body(visit_person(alice), clinic), content_type="application/json")
    assert booked.status_code == 201, booked.json()
    assert booked.json()["status"] == "pending_payment"
    pay = api.post(f"{P}/appointments/{booked.json()['id']}/payment")
    assert pay.status_code == 201 and "/sandbox/pay/" in pay.json()["pay_url"]


def test_a_booking_is_one_transaction_with_one_entry_per_act(alice, clinic, django_assert_max_num_queries):
    """The booking's entry names the visit person and the order: no separate read entry; payments keeps
    its own order entry. A bound on queries guards against lazy loads and re-reads creeping back."""
    from ihospital.audit.models import AuditEvent

    api = client_for(alice)
    person = visit_person(alice)
    last = AuditEvent.objects.order_by("pk").last()
    # 20, plus the outbox row that has the visit person matched in the HIS (its get_or_create: 3 queries).
    with django_assert_max_num_queries(23):
        booked = api.post(f"{P}/appointments", body(person, clinic), content_type="application/json")
    assert booked.status_code == 201, booked.json()
    assert booked.json()["visit_person"] == person.name and booked.json()["doctor"]
    appointment = Appointment.objects.get()
    entries = {e.action: e for e in AuditEvent.objects.filter(pk__gt=last.pk if last else 0)}
    assert set(entries) == {"appointment.book", "payment.order_create"}
    assert entries["appointment.book"].details["visit_person"] == str(person.public_id)
    assert entries["appointment.book"].details["payment_order"] == str(appointment.payment_order_public_id)


def test_on_site_sessions_are_not_listed(alice, dr_bob):
    online_schedule(dr_bob, category="onsite")
    api = client_for(alice)
    assert api.get(f"{P}/departments/{department().public_id}/doctors").json()[0]["free_count"] == 0


def test_same_idempotency_key_gives_the_same_answer_and_one_booking(alice, clinic):
    api = client_for(alice)
    payload = body(visit_person(alice), clinic)
    first = api.post(f"{P}/appointments", payload, content_type="application/json", headers={"Idempotency-Key": "k1"})
    again = api.post(f"{P}/appointments", payload, content_type="application/json", headers={"Idempotency-Key": "k1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Appointment.objects.count() == 1
    other = api.post(f"{P}/appointments", payload, content_type="application/json", headers={"Idempotency-Key": "k2"})
    assert other.status_code == 409 and other.json()["code"] == "appointment.already_booked"


def test_a_refusal_is_remembered_under_its_key_too(alice, clinic):
    api = client_for(alice)
    payload = body(visit_person(alice), clinic, complaint="x")
    answers = [
        api.post(f"{P}/appointments", payload, content_type="application/json", headers={"Idempotency-Key": "same"})
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json() == answers[1].json()


def test_a_malformed_idempotency_key_is_refused(alice, clinic):
    response = client_for(alice).post(
        f"{P}/appointments",
        body(visit_person(alice), clinic),
        content_type="application/json",
        headers={"Idempotency-Key": "x" * 101},
    )
    assert response.json()["code"] == "core.idempotency_key_invalid"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "white")
    exif = Image.Exif()
    exif[0x8825] = {2: (31.0, 18.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_attachments_are_checked_stored_privately_and_served_only_to_patient_and_doctor(
    alice, mallory, dr_bob, dr_erin, clinic
):
    api = client_for(alice)
    appointment = api.post(f"{P}/appointments", body(visit_person(alice), clinic), content_type="application/json")
    url = f"{P}/appointments/{appointment.json()['id']}/attachments"
    ok = api.post(url, {"file": SimpleUploadedFile("report.jpg", _jpeg_with_gps(), "image/jpeg")})
    assert ok.status_code == 201, ok.json()
    stored = Attachment.objects.get()
    assert b"Exif" not in stored.file.read()  # metadata stripped
    fake = api.post(url, {"file": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")})
    assert fake.status_code == 415 and fake.json()["code"].startswith("upload.")
    attachment_id = ok.json()["id"]
    assert api.get(f"{P}/attachments/{attachment_id}").status_code == 200
    assert client_for(mallory).get(f"{P}/attachments/{attachment_id}").status_code == 404
    assert client_for(dr_bob).get(f"{S}/attachments/{attachment_id}").status_code == 200
    assert client_for(dr_erin).get(f"{S}/attachments/{attachment_id}").status_code == 404


def test_at_most_nine_attachments(alice, clinic, settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    api = client_for(alice)
    appointment = api.post(f"{P}/appointments", body(visit_person(alice), clinic), content_type="application/json")
    url = f"{P}/appointments/{appointment.json()['id']}/attachments"
    out = io.BytesIO()
    with pikepdf.new() as document:
        document.add_blank_page()
        document.save(out)
    pdf = out.getvalue()
    codes = [api.post(url, {"file": SimpleUploadedFile(f"r{i}.pdf", pdf)}).status_code for i in range(3)]
    assert codes == [201, 201, 409]


def test_symptom_guidance_over_the_api(alice, dr_bob):
    clinic = online_schedule(dr_bob)
    result = client_for(alice).post(f"{P}/guidance", {"text": "最近胸闷心悸，血压高"}, content_type="application/json")
    [suggestion] = result.json()["suggestions"]
    assert suggestion["department_code"] == "cardiology"
    assert suggestion["department_id"] == str(clinic.department.public_id)
    assert result.json()["emergency"] is False and result.json()["emergency_advice"] == ""


def test_symptom_guidance_over_the_api_flags_emergencies_and_explains_too_long_text(alice):
    api = client_for(alice)
    flagged = api.post(f"{P}/guidance", {"text": "I can't catch my breath"}, content_type="application/json").json()
    assert flagged["emergency"] is True and "120" in flagged["emergency_advice"]
    refused = api.post(f"{P}/guidance", {"text": "x" * 501}, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["code"] == "guidance.text_too_long" and "text" in refused.json()["fields"]
