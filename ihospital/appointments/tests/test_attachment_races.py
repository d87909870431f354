"""Uploads racing for a booking's last places, with real row locks (PostgreSQL; CI's second run)."""

from __future__ import annotations

from ihospital.appointments.models import Appointment, Attachment
from ihospital.appointments.services import appointment_attach, appointment_book
from ihospital.appointments.tests.factories import booking, online_schedule, visit_person
from ihospital.appointments.tests.test_attachments import png
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.testing.concurrency import needs_row_locks, race
from ihospital.core.testing.storage import stored_files

pytestmark = needs_row_locks


def test_four_uploads_racing_for_two_places_keep_two_files_and_leave_no_other(alice, dr_bob, settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    appointment = appointment_book(
        account=alice, data=booking(visit_person(alice), online_schedule(dr_bob)), actor=Actor.of(alice)
    )

    def upload(i: int):  # each request loads the booking itself
        mine = Appointment.objects.get(pk=appointment.pk)
        return appointment_attach(appointment=mine, name=f"r{i}.png", data=png(), actor=Actor.of(alice))

    results = race(4, upload)
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 2 and {r.code for r in refused} == {"appointment.too_many_attachments"}, results
    kept = sorted(Attachment.objects.filter(appointment=appointment).values_list("file", flat=True))
    assert len(kept) == 2 and stored_files() == kept
