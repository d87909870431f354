"""Inside the room: chat (text and photos) and how a visit ends: completed, referred in person, or
automatically after 24 hours, after which the patient can book again."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.conf import settings
from PIL import Image

from ihospital.appointments.models import Appointment
from ihospital.appointments.services import appointment_book
from ihospital.appointments.tests.factories import booking
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations.models import Consultation, Message
from ihospital.consultations.services import (
    consultation_auto_complete,
    consultation_complete,
    consultation_refer,
    consultations_auto_complete_due,
    message_image_post,
    message_post,
)
from ihospital.consultations.tests.conftest import accepted_booking, checked_in, code_of, in_consultation
from ihospital.core.models import OutboxMessage
from ihospital.core.testing.storage import storage_writes, stored_files
from ihospital.core.time import now
from ihospital.notifications.models import Notification

GPS_IFD = 0x8825


def png_bytes() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (31.0, 18.0, 0.0), 3: "E", 4: (120.0, 37.0, 0.0)}
    out = BytesIO()
    Image.new("RGB", (16, 12), (30, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    with Image.open(BytesIO(data)) as check:
        assert check.getexif().get_ifd(GPS_IFD), "the test photo must carry GPS"
    return data


MINIMAL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def say(consultation, sender, text):
    return message_post(sender=sender, consultation=consultation, text=text, actor=Actor.of(sender))


def photo(consultation, sender, data, name="photo.jpg"):
    return message_image_post(sender=sender, consultation=consultation, name=name, data=data, actor=Actor.of(sender))


def complete(consultation, doctor):
    return consultation_complete(doctor=doctor, consultation=consultation, actor=Actor.of(doctor))


def refer(consultation, doctor, reason):
    return consultation_refer(doctor=doctor, consultation=consultation, reason=reason, actor=Actor.of(doctor))


# --- chat --------------------------------------------------------------------------------------------


def test_a_message_is_kept_with_who_sent_it(in_progress, alice, dr_bob):
    say(in_progress, alice, "  我的血压今天是 150/95  ")
    say(in_progress, dr_bob, "请继续服药")
    kept = list(Message.objects.filter(consultation=in_progress).order_by("pk"))
    assert [(m.sender_id, m.kind, m.text) for m in kept] == [
        (alice.pk, "text", "我的血压今天是 150/95"),
        (dr_bob.pk, "text", "请继续服药"),
    ]
    assert AuditEvent.objects.filter(action="consultation.message", target_id=str(in_progress.public_id)).count() == 2


@pytest.mark.parametrize("text", ["", "   \n ", None, 42])
def test_an_empty_message_is_refused(in_progress, alice, text):
    assert code_of(lambda: say(in_progress, alice, text)) == "consultation.message_invalid"
    assert not Message.objects.exists()


def test_a_message_over_the_limit_is_refused_and_one_at_the_limit_kept(in_progress, alice):
    assert code_of(lambda: say(in_progress, alice, "a" * (settings.CHAT_MAX_CHARS + 1))) == (
        "consultation.message_invalid"
    )
    say(in_progress, alice, "a" * settings.CHAT_MAX_CHARS)
    assert Message.objects.count() == 1


def test_nobody_chats_before_the_consultation_starts_or_after_it_ended(accepted, alice, confirmed_bob, commit):
    waiting = checked_in(accepted, commit)
    assert code_of(lambda: say(waiting, alice, "hello?")) == "consultation.not_in_progress"
    assert code_of(lambda: photo(waiting, alice, png_bytes(), "p.png")) == "consultation.not_in_progress"
    Consultation.objects.filter(pk=waiting.pk).update(status="calling")
    waiting.refresh_from_db()
    with commit():
        from ihospital.consultations.services import consultation_answer

        consultation_answer(patient=alice, consultation=waiting, actor=Actor.of(alice))
    with commit():
        complete(waiting, confirmed_bob)
    assert code_of(lambda: say(waiting, alice, "one more thing")) == "consultation.not_in_progress"
    assert not Message.objects.exists()


# --- photos ------------------------------------------------------------------------------------------


def test_a_png_photo_is_kept_as_an_image_message(in_progress, alice):
    message = photo(in_progress, alice, png_bytes(), "scan.png")
    message.refresh_from_db()
    assert (message.kind, message.content_type) == ("image", "image/png")
    with message.image.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("PNG", (8, 6))


def test_a_jpeg_photo_is_stored_without_its_exif_and_location(in_progress, alice):
    message = photo(in_progress, alice, jpeg_with_gps(), "IMG_0001.JPG")
    assert message.content_type == "image/jpeg"
    with message.image.open("rb") as stored:
        data = stored.read()
    assert b"Exif" not in data and b"PhoneMaker" not in data
    with Image.open(BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert not image.getexif().get_ifd(GPS_IFD)


def test_a_pdf_is_not_a_chat_photo(in_progress, alice):
    assert code_of(lambda: photo(in_progress, alice, MINIMAL_PDF, "report.pdf")) == "upload.unsupported_type"
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "garbage", [b"this is not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"\xff\xd8\xff\xe0broken"]
)
def test_garbage_is_not_a_chat_photo(in_progress, alice, garbage):
    assert code_of(lambda: photo(in_progress, alice, garbage, "photo.jpg")).startswith("upload.")
    assert not Message.objects.exists()


def test_a_photo_is_stored_before_any_transaction_opens(in_progress, alice):
    with storage_writes() as writes:
        message = photo(in_progress, alice, png_bytes(), "scan.png")
    assert [(w.name, w.depth) for w in writes] == [(message.image.name, 0)]


def test_a_photo_sent_after_the_visit_ended_leaves_no_file(in_progress, alice):
    Consultation.objects.filter(pk=in_progress.pk).update(status="completed")
    in_progress.refresh_from_db()
    assert code_of(lambda: photo(in_progress, alice, png_bytes(), "late.png")) == "consultation.not_in_progress"
    assert stored_files() == []


def test_a_photo_whose_visit_ends_while_it_is_stored_is_refused_and_its_file_removed(in_progress, alice):
    def visit_ends():
        Consultation.objects.filter(pk=in_progress.pk).update(status="completed")

    with storage_writes(then=visit_ends) as writes:
        assert code_of(lambda: photo(in_progress, alice, png_bytes(), "late.png")) == "consultation.not_in_progress"
    assert len(writes) == 1 and stored_files() == []
    assert not Message.objects.exists()


def test_a_photo_whose_transaction_fails_leaves_no_file(in_progress, alice, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("ihospital.consultations.services.room.record", broken)
    with pytest.raises(RuntimeError):
        photo(in_progress, alice, png_bytes(), "scan.png")
    assert stored_files() == [] and not Message.objects.exists()


# --- ending ------------------------------------------------------------------------------------------


def test_completing_ends_the_consultation_and_the_appointment(in_progress, confirmed_bob, commit):
    with commit():
        complete(in_progress, confirmed_bob)
    in_progress.refresh_from_db()
    assert in_progress.status == "completed" and in_progress.ended_at is not None
    assert Appointment.objects.get(pk=in_progress.appointment_id).status == "completed"
    event = AuditEvent.objects.get(action="consultation.completed", target_id=str(in_progress.public_id))
    assert event.actor_id == str(confirmed_bob.public_id)


def test_completing_twice_is_an_illegal_transition(in_progress, confirmed_bob, commit):
    with commit():
        complete(in_progress, confirmed_bob)
    assert code_of(lambda: complete(in_progress, confirmed_bob)) == "core.illegal_transition"
    assert AuditEvent.objects.filter(action="consultation.completed").count() == 1


def test_a_waiting_consultation_cannot_be_completed(accepted, confirmed_bob, commit):
    waiting = checked_in(accepted, commit)
    assert code_of(lambda: complete(waiting, confirmed_bob)) == "core.illegal_transition"
    waiting.refresh_from_db()
    assert waiting.status == "waiting"


@pytest.mark.parametrize("reason", ["", "   ", "x"])
def test_a_referral_needs_a_reason(in_progress, confirmed_bob, reason):
    assert code_of(lambda: refer(in_progress, confirmed_bob, reason)) == "consultation.referral_reason_required"
    in_progress.refresh_from_db()
    assert in_progress.status == "in_progress"


def test_a_referral_is_recorded_and_the_patient_is_told_in_app_and_by_sms(in_progress, alice, confirmed_bob, commit):
    reason = "新发胸痛，需线下心电图检查"
    with commit():
        refer(in_progress, confirmed_bob, reason)
    in_progress.refresh_from_db()
    assert (in_progress.status, in_progress.referral_reason) == ("referred", reason)
    assert Appointment.objects.get(pk=in_progress.appointment_id).status == "completed"
    event = AuditEvent.objects.get(action="consultation.referred", target_id=str(in_progress.public_id))
    assert event.details["referral_reason"] == reason
    told = Notification.objects.get(user=alice, kind="appointment.referred")
    assert reason in told.body
    sms = OutboxMessage.objects.get(topic="sms.send", idempotency_key__endswith=":referred")
    assert sms.payload["phone"] == alice.phone
    assert reason in sms.payload["text"]


# --- automatic completion ----------------------------------------------------------------------------


def started_hours_ago(consultation, hours):
    Consultation.objects.filter(pk=consultation.pk).update(started_at=now() - timedelta(hours=hours))


def test_a_consultation_left_open_for_24_hours_completes_by_itself(in_progress, commit):
    started_hours_ago(in_progress, 25)
    with commit():
        assert consultation_auto_complete(consultation_pk=in_progress.pk) is True
    in_progress.refresh_from_db()
    assert in_progress.status == "auto_completed" and in_progress.ended_at is not None
    assert Appointment.objects.get(pk=in_progress.appointment_id).status == "auto_completed"
    assert AuditEvent.objects.filter(
        action="consultation.auto_completed", target_id=str(in_progress.public_id)
    ).exists()
    assert consultation_auto_complete(consultation_pk=in_progress.pk) is False


def test_a_consultation_started_an_hour_ago_is_left_alone(in_progress, commit):
    started_hours_ago(in_progress, 1)
    with commit():
        assert consultation_auto_complete(consultation_pk=in_progress.pk) is False
        assert consultations_auto_complete_due() == 0
    in_progress.refresh_from_db()
    assert in_progress.status == "in_progress"
    assert Appointment.objects.get(pk=in_progress.appointment_id).status == "in_consultation"


def test_the_sweeper_completes_every_overdue_consultation_and_only_those(alice, confirmed_bob, dr_erin, commit):
    from ihospital.accounts.identity import staff_identity_confirm
    from ihospital.core.testing.personas import PASSWORD

    staff_identity_confirm(user=dr_erin, password=PASSWORD, actor=Actor.of(dr_erin))
    overdue = in_consultation(accepted_booking(alice, confirmed_bob, commit, person_seq=1), confirmed_bob, commit)
    recent = in_consultation(accepted_booking(alice, dr_erin, commit, person_seq=2), dr_erin, commit)
    started_hours_ago(overdue, 30)
    started_hours_ago(recent, 23)
    with commit():
        assert consultations_auto_complete_due() == 1
    overdue.refresh_from_db()
    recent.refresh_from_db()
    assert (overdue.status, recent.status) == ("auto_completed", "in_progress")
    with commit():
        assert consultations_auto_complete_due() == 0


def test_after_automatic_completion_the_same_person_can_book_the_same_session_again(in_progress, alice, commit):
    appointment = in_progress.appointment
    again = booking(appointment.visit_person, appointment.schedule)
    assert code_of(lambda: appointment_book(account=alice, data=again, actor=Actor.of(alice))) == (
        "appointment.already_booked"
    )
    started_hours_ago(in_progress, 25)
    with commit():
        consultations_auto_complete_due()
    with commit():
        rebooked = appointment_book(account=alice, data=again, actor=Actor.of(alice))
    assert rebooked.pk != appointment.pk
    assert rebooked.visit_person_id == appointment.visit_person_id
    assert rebooked.schedule_id == appointment.schedule_id
    assert rebooked.slot_id != appointment.slot_id


def test_the_referral_reaches_the_patient_in_the_patients_language_whatever_the_doctors(in_progress, dr_bob, commit):
    from django.utils import translation

    with translation.override("en"), commit():  # the doctor works in English
        consultation_refer(doctor=dr_bob, consultation=in_progress, reason="需到院首诊", actor=Actor.of(dr_bob))
    message = Notification.objects.get(kind="appointment.referred")
    assert "医生建议" in message.body and "需到院首诊" in message.body
    assert message.title == "建议线下就诊"
