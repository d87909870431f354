"""Attachments are written to storage before the booking's short transaction, never inside it, and a file
the transaction refuses (or loses in a rollback) is removed: nothing is left in storage that no row names."""

from io import BytesIO

import pytest
from PIL import Image

from ihospital.appointments.models import Appointment, Attachment
from ihospital.appointments.services import appointment_attach, appointment_book
from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.storage import storage_writes, stored_files


def png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 6), "navy").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def appointment(alice, dr_bob):
    person = visit_person(alice)
    return appointment_book(account=alice, data=booking(person, online_schedule(dr_bob)), actor=Actor.of(alice))


def attach(appointment, name="report.png"):
    return appointment_attach(appointment=appointment, name=name, data=png(), actor=Actor.of(appointment.account))


def refusal(call) -> str:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


def test_an_attachment_is_stored_before_any_transaction_opens(appointment):
    with storage_writes() as writes:
        attachment = attach(appointment)
    assert [(w.name, w.depth) for w in writes] == [(attachment.file.name, 0)]
    assert stored_files() == [attachment.file.name]
    assert AuditEvent.objects.filter(action="appointment.attach").count() == 1


def test_an_attachment_past_the_limit_leaves_no_file(appointment, settings):
    settings.ATTACHMENT_MAX_COUNT = 1
    kept = attach(appointment)
    assert refusal(lambda: attach(appointment, "second.png")) == "appointment.too_many_attachments"
    assert stored_files() == [kept.file.name]


def test_an_attachment_that_loses_the_last_place_while_stored_is_refused_and_its_file_removed(appointment, settings):
    settings.ATTACHMENT_MAX_COUNT = 1

    def another_upload_takes_the_last_place():
        Attachment.objects.create(
            appointment=appointment, file="attachments/other.png", content_type="image/png", size=1, sha256="0" * 64
        )

    with storage_writes(then=another_upload_takes_the_last_place) as writes:
        assert refusal(lambda: attach(appointment)) == "appointment.too_many_attachments"
    assert len(writes) == 1 and stored_files() == []
    assert Attachment.objects.filter(appointment=appointment).count() == 1
    assert not AuditEvent.objects.filter(action="appointment.attach").exists()


def test_an_attachment_to_a_booking_cancelled_while_it_was_stored_is_refused_and_its_file_removed(appointment):
    def booking_cancelled():
        Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)

    with storage_writes(then=booking_cancelled):
        assert refusal(lambda: attach(appointment)) == "core.illegal_transition"
    assert stored_files() == [] and not Attachment.objects.exists()


def test_an_attachment_whose_transaction_fails_leaves_no_file(appointment, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("ihospital.appointments.services.files.record", broken)
    with pytest.raises(RuntimeError):
        attach(appointment)
    assert stored_files() == [] and not Attachment.objects.exists()


def test_files_chosen_with_a_booking_are_stored_outside_any_transaction(alice, dr_bob, client):
    """The booking page books, then attaches each file on its own: none is written inside a transaction."""
    from datetime import date, timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile

    schedule = online_schedule(dr_bob)
    person = visit_person(alice)
    client.force_login(alice)
    form = {
        "visit_person": str(person.public_id),
        "complaint": "高血压复诊，血压控制不佳",
        "prior_visit_date": str(date.today() - timedelta(days=60)),
        "prior_hospital": "苏州市立医院",
        "prior_diagnosis": "原发性高血压",
        "follow_up": "on",
        "files": [SimpleUploadedFile("a.png", png()), SimpleUploadedFile("b.png", png())],
    }
    with storage_writes() as writes:
        response = client.post(f"/p/book/schedules/{schedule.public_id}/", form)
    assert response.status_code == 302
    assert len(writes) == 2 and {w.depth for w in writes} == {0}
    assert sorted(stored_files()) == sorted(a.file.name for a in Attachment.objects.all())
