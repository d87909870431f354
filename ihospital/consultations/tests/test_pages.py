"""The consultation's pages and file endpoints through the Django test client: each serves its own
people and answers everyone else as if it did not exist (404), or sends a wrong role to sign in."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode
from PIL import Image

from ihospital.audit.models import AuditEvent
from ihospital.consultations import webm
from ihospital.consultations.models import Consultation, Message, Recording
from ihospital.consultations.tests.conftest import checked_in

STAFF_SIGN_IN = reverse("accounts:staff_sign_in")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)  # the test client closes the file once it is read


def sent_to_sign_in(response, sign_in: str = STAFF_SIGN_IN) -> bool:
    return response.status_code == 302 and response["Location"].startswith(sign_in)


def wrong_role(response) -> bool:
    return response.status_code == 403


def png_upload(name: str = "rash.png"):
    out = BytesIO()
    Image.new("RGB", (10, 10), (10, 200, 10)).save(out, format="PNG")
    out.seek(0)
    out.name = name
    return out


# --- the waiting room and the desk --------------------------------------------------------------------


def test_the_patient_checks_in_from_the_waiting_room(accepted, alice):
    url = reverse("consultations:waiting_room", args=[accepted.public_id])
    client = signed_in(alice)
    page = client.get(url)
    assert page.status_code == 200
    assert b'data-testid="check-in"' in page.content
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    consultation = Consultation.objects.get(appointment=accepted)
    assert consultation.status == "waiting" and consultation.patient_id == alice.pk
    page = client.get(url)
    assert b'data-testid="queue-card"' in page.content
    assert f"/ws/consultations/{consultation.public_id}/".encode() in page.content


def test_another_patient_cannot_see_or_use_the_waiting_room(accepted, mallory):
    url = reverse("consultations:waiting_room", args=[accepted.public_id])
    client = signed_in(mallory)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not Consultation.objects.exists()


def test_the_doctors_desk_lists_the_checked_in_patient(accepted, dr_bob, dr_erin, commit):
    checked_in(accepted, commit)
    page = signed_in(dr_bob).get(reverse("consultations:desk"))
    assert page.status_code == 200
    assert page.content.count(b'data-testid="queue-item"') == 1
    assert accepted.visit_person.name in page.content.decode()
    other = signed_in(dr_erin).get(reverse("consultations:desk_queue"))
    assert other.status_code == 200
    assert b'data-testid="queue-item"' not in other.content
    assert accepted.visit_person.name not in other.content.decode()


def test_the_desk_is_for_doctors(alice):
    assert wrong_role(signed_in(alice).get(reverse("consultations:desk")))
    assert sent_to_sign_in(Client().get(reverse("consultations:desk")))


def test_calling_without_a_fresh_identity_check_goes_to_the_check_first(accepted, dr_bob, commit):
    consultation = checked_in(accepted, commit)
    response = signed_in(dr_bob).post(reverse("consultations:call_next"))
    expected = reverse("accounts:confirm_identity") + "?" + urlencode({"next": reverse("consultations:desk")})
    assert response.status_code == 302 and response["Location"] == expected
    consultation.refresh_from_db()
    assert consultation.status == "waiting"


def test_calling_after_the_identity_check_rings_the_patient(accepted, confirmed_bob, commit):
    consultation = checked_in(accepted, commit)
    with commit():
        response = signed_in(confirmed_bob).post(reverse("consultations:call_next"))
    assert response.status_code == 302 and response["Location"] == reverse("consultations:desk")
    consultation.refresh_from_db()
    assert (consultation.status, consultation.call_attempts) == ("calling", 1)


def test_a_doctor_cannot_call_another_doctors_patient(accepted, dr_erin, commit):
    from ihospital.accounts.identity import staff_identity_confirm
    from ihospital.audit.services import Actor
    from ihospital.core.testing.personas import PASSWORD

    staff_identity_confirm(user=dr_erin, password=PASSWORD, actor=Actor.of(dr_erin))
    consultation = checked_in(accepted, commit)
    client = signed_in(dr_erin)
    assert client.post(reverse("consultations:call", args=[consultation.public_id])).status_code == 404
    assert client.post(reverse("consultations:no_show", args=[consultation.public_id])).status_code == 404
    consultation.refresh_from_db()
    assert consultation.status == "waiting"


def test_the_patient_answers_and_enters_the_room(accepted, alice, confirmed_bob, commit):
    consultation = checked_in(accepted, commit)
    with commit():
        signed_in(confirmed_bob).post(reverse("consultations:call", args=[consultation.public_id]))
    client = signed_in(alice)
    with commit():
        response = client.post(reverse("consultations:answer", args=[consultation.public_id]))
    room = reverse("consultations:patient_room", args=[consultation.public_id])
    assert response.status_code == 302 and response["Location"] == room
    consultation.refresh_from_db()
    assert consultation.status == "in_progress"
    waiting_room = reverse("consultations:waiting_room", args=[accepted.public_id])
    assert client.get(waiting_room)["Location"] == room


def test_the_patient_declines_the_ring_and_stays_in_the_waiting_room(accepted, alice, confirmed_bob, commit):
    consultation = checked_in(accepted, commit)
    with commit():
        signed_in(confirmed_bob).post(reverse("consultations:call", args=[consultation.public_id]))
    client = signed_in(alice)
    waiting_room = reverse("consultations:waiting_room", args=[accepted.public_id])
    decline = reverse("consultations:decline", args=[consultation.public_id])
    assert f'action="{decline}"'.encode() in client.get(waiting_room).content  # the ringing card offers it
    with commit():
        response = client.post(decline)
    assert response.status_code == 302 and response["Location"] == waiting_room
    consultation.refresh_from_db()
    assert consultation.status == "missed"


# --- the rooms ----------------------------------------------------------------------------------------


def test_ending_a_visit_asks_the_doctor_and_the_patient_can_leave_the_room(in_progress, alice, dr_bob):
    doctor_page = signed_in(dr_bob).get(reverse("consultations:doctor_room", args=[in_progress.public_id]))
    assert b'id="end-form"' in doctor_page.content and b"data-confirm=" in doctor_page.content
    patient_page = signed_in(alice).get(reverse("consultations:patient_room", args=[in_progress.public_id]))
    leave = reverse("appointments:detail", args=[in_progress.appointment.public_id])
    assert f'href="{leave}" data-testid="leave"'.encode() in patient_page.content


def test_the_rooms_open_for_their_participants_only(in_progress, alice, mallory, dr_bob, dr_erin):
    patient_room = reverse("consultations:patient_room", args=[in_progress.public_id])
    doctor_room = reverse("consultations:doctor_room", args=[in_progress.public_id])
    page = signed_in(alice).get(patient_room)
    assert page.status_code == 200
    assert f"/ws/consultations/{in_progress.public_id}/".encode() in page.content
    assert signed_in(dr_bob).get(doctor_room).status_code == 200
    assert signed_in(mallory).get(patient_room).status_code == 404
    assert signed_in(dr_erin).get(doctor_room).status_code == 404
    assert wrong_role(signed_in(alice).get(doctor_room))
    assert wrong_role(signed_in(dr_bob).get(patient_room))
    assert sent_to_sign_in(Client().get(doctor_room))
    assert sent_to_sign_in(Client().get(patient_room), "/p/sign-in/")


def test_a_waiting_patient_is_sent_back_to_the_waiting_room(accepted, alice, commit):
    consultation = checked_in(accepted, commit)
    response = signed_in(alice).get(reverse("consultations:patient_room", args=[consultation.public_id]))
    assert response["Location"] == reverse("consultations:waiting_room", args=[accepted.public_id])


def test_the_doctor_completes_the_visit_from_the_room(in_progress, confirmed_bob, commit):
    with commit():
        response = signed_in(confirmed_bob).post(reverse("consultations:end", args=[in_progress.public_id]))
    assert response["Location"] == reverse("consultations:desk")
    in_progress.refresh_from_db()
    assert in_progress.status == "completed"


def test_a_referral_without_a_reason_stays_in_the_room(in_progress, confirmed_bob):
    url = reverse("consultations:end", args=[in_progress.public_id])
    response = signed_in(confirmed_bob).post(url, {"outcome": "refer", "reason": ""})
    assert response["Location"] == reverse("consultations:doctor_room", args=[in_progress.public_id])
    in_progress.refresh_from_db()
    assert in_progress.status == "in_progress"


def test_another_doctor_cannot_end_the_visit(in_progress, dr_erin):
    assert signed_in(dr_erin).post(reverse("consultations:end", args=[in_progress.public_id])).status_code == 404
    in_progress.refresh_from_db()
    assert in_progress.status == "in_progress"


# --- recording ----------------------------------------------------------------------------------------

FIRST_CHUNK = webm.EBML_MAGIC + bytes.fromhex("9f4286810142828477656266")


def start_url(consultation) -> str:
    return reverse("consultations:recording_start", args=[consultation.public_id])


def start_recording(client, consultation):
    return client.post(start_url(consultation), json.dumps({"mimeType": "video/webm"}), content_type="application/json")


def test_the_doctors_browser_records_the_call(in_progress, confirmed_bob):
    client = signed_in(confirmed_bob)
    started = start_recording(client, in_progress)
    assert started.status_code == 201
    urls = started.json()
    recording = Recording.objects.get(public_id=urls["id"], consultation=in_progress)
    chunk = client.post(urls["chunkUrl"] + "0/", FIRST_CHUNK, content_type="application/octet-stream")
    assert (chunk.status_code, chunk.json()) == (201, {"seq": 0})
    refused = client.post(urls["chunkUrl"] + "1/", b"", content_type="application/octet-stream")
    assert (refused.status_code, refused.json()["code"]) == (422, "consultation.chunk_invalid")
    finished = client.post(urls["finishUrl"])
    assert finished.status_code == 200 and finished.json()["assembled"] is True
    recording.refresh_from_db()
    assert recording.assembled_at is not None and recording.size == len(FIRST_CHUNK)
    late = client.post(urls["chunkUrl"] + "1/", b"\x00" * 10, content_type="application/octet-stream")
    assert (late.status_code, late.json()["code"]) == (409, "consultation.recording_closed")
    assert client.post(urls["finishUrl"]).json()["assembled"] is False


def test_a_first_chunk_that_is_not_webm_is_refused(in_progress, confirmed_bob):
    client = signed_in(confirmed_bob)
    urls = start_recording(client, in_progress).json()
    response = client.post(urls["chunkUrl"] + "0/", b"not a webm stream", content_type="application/octet-stream")
    assert (response.status_code, response.json()["code"]) == (422, "consultation.chunk_invalid")


def test_recording_endpoints_refuse_the_patient_and_other_doctors(in_progress, alice, dr_erin, confirmed_bob):
    urls = start_recording(signed_in(confirmed_bob), in_progress).json()
    chunk_url, finish_url = urls["chunkUrl"] + "0/", urls["finishUrl"]
    patient, other_doctor = signed_in(alice), signed_in(dr_erin)
    assert wrong_role(start_recording(patient, in_progress))
    assert wrong_role(patient.post(chunk_url, FIRST_CHUNK, content_type="application/octet-stream"))
    assert wrong_role(patient.post(finish_url))
    assert start_recording(other_doctor, in_progress).status_code == 404
    assert other_doctor.post(chunk_url, FIRST_CHUNK, content_type="application/octet-stream").status_code == 404
    assert other_doctor.post(finish_url).status_code == 404
    assert Recording.objects.count() == 1
    recording = Recording.objects.get()
    assert recording.chunk_count == 0 and recording.assembled_at is None


@pytest.fixture
def recorded(in_progress, confirmed_bob):
    client = signed_in(confirmed_bob)
    urls = start_recording(client, in_progress).json()
    client.post(urls["chunkUrl"] + "0/", FIRST_CHUNK, content_type="application/octet-stream")
    client.post(urls["finishUrl"])
    recording = Recording.objects.get(public_id=urls["id"])
    return reverse("consultations:recording_file", args=[in_progress.public_id, recording.public_id])


def test_the_recording_is_played_back_to_the_doctor_and_the_auditor(recorded, confirmed_bob, auditor):
    for user in (confirmed_bob, auditor):
        response = signed_in(user).get(recorded)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "video/webm"
        assert response["Cache-Control"] == "private, no-store"
        assert body_of(response) == FIRST_CHUNK


def test_the_doctor_seeks_in_the_recording(recorded, confirmed_bob):
    """A <video> asks for byte ranges to seek: it gets the part asked for."""
    client = signed_in(confirmed_bob)
    whole = body_of(client.get(recorded))
    part = client.get(recorded, headers={"Range": "bytes=4-"})
    assert (part.status_code, part["Content-Range"]) == (206, f"bytes 4-{len(whole) - 1}/{len(whole)}")
    assert body_of(part) == whole[4:]
    assert client.get(recorded, headers={"Range": f"bytes={len(whole)}-"}).status_code == 416


def test_the_recording_is_not_the_patients_nor_anyone_elses(recorded, alice, mallory, dr_erin):
    for user in (alice, mallory):
        assert wrong_role(signed_in(user).get(recorded)), user
    assert signed_in(dr_erin).get(recorded).status_code == 404
    assert Client().get(recorded).status_code == 302


# --- chat photos --------------------------------------------------------------------------------------


def upload_url(consultation) -> str:
    return reverse("consultations:image_upload", args=[consultation.public_id])


def test_participants_share_photos_in_the_room(in_progress, alice, confirmed_bob, auditor):
    response = signed_in(alice).post(upload_url(in_progress), {"image": png_upload()})
    assert response.status_code == 201
    payload = response.json()
    assert (payload["kind"], payload["from"]) == ("image", "patient")
    message = Message.objects.get(public_id=payload["id"])
    assert payload["image_url"] == reverse("consultations:image_file", args=[in_progress.public_id, message.public_id])
    for user in (alice, confirmed_bob, auditor):
        served = signed_in(user).get(payload["image_url"])
        assert served.status_code == 200, user
        assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
        with Image.open(BytesIO(body_of(served))) as image:
            assert image.size == (10, 10)
    by_doctor = signed_in(confirmed_bob).post(upload_url(in_progress), {"image": png_upload()})
    assert (by_doctor.status_code, by_doctor.json()["from"]) == (201, "doctor")


def test_outsiders_can_neither_send_nor_see_photos(in_progress, alice, mallory, dr_erin):
    url = signed_in(alice).post(upload_url(in_progress), {"image": png_upload()}).json()["image_url"]
    for user in (mallory, dr_erin):
        client = signed_in(user)
        assert client.post(upload_url(in_progress), {"image": png_upload()}).status_code == 404, user
        assert client.get(url).status_code == 404, user
    assert Message.objects.count() == 1


def test_a_pdf_or_nothing_is_not_a_chat_photo(in_progress, alice):
    client = signed_in(alice)
    pdf = BytesIO(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    pdf.name = "report.pdf"
    refused = client.post(upload_url(in_progress), {"image": pdf})
    assert (refused.status_code, refused.json()["code"]) == (415, "upload.unsupported_type")
    assert client.post(upload_url(in_progress), {}).status_code == 422
    assert not Message.objects.exists()


# --- the auditor's view -------------------------------------------------------------------------------


def test_the_auditor_lists_and_opens_consultations_and_the_opening_is_audited(in_progress, auditor):
    client = signed_in(auditor)
    listing = client.get(reverse("consultations:audit_list"))
    assert listing.status_code == 200
    detail_url = reverse("consultations:audit_detail", args=[in_progress.public_id])
    assert detail_url.encode() in listing.content
    detail = client.get(detail_url)
    assert detail.status_code == 200
    assert in_progress.appointment.visit_person.name in detail.content.decode()
    assert AuditEvent.objects.filter(
        action="consultation.read", target_id=str(in_progress.public_id), actor_id=str(auditor.public_id)
    ).exists()


def test_the_auditors_view_refuses_doctors_and_patients(in_progress, dr_bob, alice):
    for user in (dr_bob, alice):
        client = signed_in(user)
        assert wrong_role(client.get(reverse("consultations:audit_list"))), user
        assert wrong_role(client.get(reverse("consultations:audit_detail", args=[in_progress.public_id]))), user
    assert sent_to_sign_in(Client().get(reverse("consultations:audit_list")))


def test_the_device_check_page_previews_camera_and_microphone_for_signed_in_users(client, alice):
    assert client.get("/device-check/").status_code == 302  # sign in first
    client.force_login(alice)
    page = client.get("/device-check/?back=/p/appointments/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="preview"' in body and 'id="mic-level"' in body and "consultations/device-check.js" in body


def test_the_device_check_back_link_only_leads_to_this_site(client, alice):
    client.force_login(alice)
    for hostile in ("javascript:alert(1)", "https://evil.example/", "//evil.example/"):
        body = client.get("/device-check/", {"back": hostile}).content.decode()
        assert f'href="{hostile}"' not in body
    body = client.get("/device-check/", {"back": "/p/appointments/"}).content.decode()
    assert 'href="/p/appointments/"' in body


def test_the_auditor_reads_sender_names_hospital_times_and_durations_in_minutes(in_progress, auditor, dr_bob):
    from django.utils import timezone

    from ihospital.audit.services import Actor
    from ihospital.consultations.services import message_post

    message = message_post(sender=dr_bob, consultation=in_progress, text="请描述症状", actor=Actor.of(dr_bob))
    Recording.objects.create(consultation=in_progress, duration_ms=125_400)
    page = signed_in(auditor).get(reverse("consultations:audit_detail", args=[in_progress.public_id]))
    html = page.content.decode()
    assert f"{dr_bob.display_name} (医生)" in html and ">doctor<" not in html
    assert timezone.localtime(message.sent_at).strftime("%H:%M:%S") in html  # Beijing time, not UTC
    assert "2 分 05 秒" in html and "125400" not in html


def test_the_doctors_room_shows_the_patients_allergies_conditions_prior_diagnosis_and_attachments(
    in_progress, confirmed_bob
):
    from django.core.files.base import ContentFile

    from ihospital.accounts.models import VisitPerson
    from ihospital.appointments.models import Attachment

    appointment = in_progress.appointment
    VisitPerson.objects.filter(pk=appointment.visit_person_id).update(
        allergies="青霉素", chronic_conditions="2型糖尿病"
    )
    Attachment.objects.create(
        appointment=appointment, file=ContentFile(b"%PDF-1.4", name="r.pdf"), content_type="application/pdf",
        size=8, sha256="0" * 64, original_name="门诊病历.pdf",
    )  # fmt: skip
    html = signed_in(confirmed_bob).get(reverse("consultations:doctor_room", args=[in_progress.public_id]))
    html = html.content.decode()
    assert 'data-testid="patient-facts"' in html
    assert "青霉素" in html and "2型糖尿病" in html and appointment.prior_diagnosis in html
    assert "门诊病历.pdf" in html and "/files/attachments/" in html
