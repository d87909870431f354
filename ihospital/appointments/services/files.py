"""Attachments: evidence of the prior in-person diagnosis, validated by content and stored privately."""

from __future__ import annotations

from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from ihospital.appointments.errors import AppointmentError
from ihospital.appointments.models import Appointment, Attachment
from ihospital.audit.services import Actor, record
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.files.stored import removed_if_refused
from ihospital.core.files.uploads import check_upload

EDITABLE = (Appointment.Status.PENDING_PAYMENT, Appointment.Status.REQUESTED)


def appointment_attach(*, appointment: Appointment, name: str, data: bytes | BinaryIO, actor: Actor) -> Attachment:
    """Attach one image or PDF (checked by content, metadata stripped) before the doctor's review.

    No storage I/O inside a transaction or under the booking's row lock: the file is checked and written
    first, under a fresh name (the attachment's random public id); a short transaction then locks the
    booking, re-checks its state and the count, and records the attachment; if it refuses or rolls back,
    the file is deleted. Call it outside any transaction (core.files.stored).
    Refuses: upload.* (type, size, corrupt), appointment.too_many_attachments, core.illegal_transition.
    Side effects: the file, the Attachment row, an audit entry ``appointment.attach``.
    """
    _check_editable(appointment.status)
    if appointment.attachments.count() >= settings.ATTACHMENT_MAX_COUNT:  # spare a doomed write; re-checked
        raise DomainError(AppointmentError.TOO_MANY_ATTACHMENTS, limit=settings.ATTACHMENT_MAX_COUNT)
    checked = check_upload(name=name, data=data, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    attachment = Attachment(
        appointment=appointment,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        original_name=checked.original_name,
    )
    attachment.file.save(f"{attachment.public_id}.{checked.extension}", ContentFile(checked.content), save=False)
    with removed_if_refused(attachment.file):
        _record(attachment, actor=actor)
    return attachment


def _check_editable(status: str) -> None:
    if status not in EDITABLE:
        raise DomainError(CoreError.ILLEGAL_TRANSITION, current=status)


@transaction.atomic
def _record(attachment: Attachment, *, actor: Actor) -> None:
    """The stored file's row, if the booking still takes it. The booking's row lock makes two parallel
    uploads count one after the other (and a review or a cancellation wait for this short transaction)."""
    appointment = attachment.appointment
    _check_editable(Appointment.objects.select_for_update().values_list("status", flat=True).get(pk=appointment.pk))
    if Attachment.objects.filter(appointment_id=appointment.pk).count() >= settings.ATTACHMENT_MAX_COUNT:
        raise DomainError(AppointmentError.TOO_MANY_ATTACHMENTS, limit=settings.ATTACHMENT_MAX_COUNT)
    attachment.save(force_insert=True)
    record(
        actor=actor,
        action="appointment.attach",
        target_type="appointment",
        target_id=str(appointment.public_id),
        details={"attachment": str(attachment.public_id), "type": attachment.content_type, "size": attachment.size},
    )
