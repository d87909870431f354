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
from ihospital.core.files.uploads import check_upload

EDITABLE = (Appointment.Status.PENDING_PAYMENT, Appointment.Status.REQUESTED)


@transaction.atomic
def appointment_attach(*, appointment: Appointment, name: str, data: bytes | BinaryIO, actor: Actor) -> Attachment:
    """Attach one image or PDF (checked by content, metadata stripped) before the doctor's review.

    Refuses: upload.* (type, size, corrupt), appointment.too_many_attachments, core.illegal_transition.
    """
    if appointment.status not in EDITABLE:
        raise DomainError(CoreError.ILLEGAL_TRANSITION, current=appointment.status)
    checked = check_upload(name=name, data=data, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    # Lock the appointment so two parallel uploads can't both pass the count check.
    Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.attachments.count() >= settings.ATTACHMENT_MAX_COUNT:
        raise DomainError(AppointmentError.TOO_MANY_ATTACHMENTS, limit=settings.ATTACHMENT_MAX_COUNT)
    attachment = Attachment(
        appointment=appointment,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        original_name=checked.original_name,
    )
    attachment.file.save(f"{attachment.public_id}.{checked.extension}", ContentFile(checked.content), save=False)
    attachment.save()
    record(
        actor=actor,
        action="appointment.attach",
        target_type="appointment",
        target_id=str(appointment.public_id),
        details={"attachment": str(attachment.public_id), "type": checked.content_type, "size": checked.size},
    )
    return attachment
