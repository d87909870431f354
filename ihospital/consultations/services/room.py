"""Inside the room: chat messages, and how the visit ends (completed, referred in person, automatically)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_noop

from ihospital.accounts.models import User
from ihospital.appointments.models import Appointment
from ihospital.audit.services import Actor, record
from ihospital.consultations import events
from ihospital.consultations.errors import ConsultationError
from ihospital.consultations.models import Consultation, Message
from ihospital.consultations.services._common import move, move_appointment, target
from ihospital.consultations.services.video import consultation_meeting_close
from ihospital.core.errors import DomainError
from ihospital.core.files.stored import removed_if_refused
from ihospital.core.files.uploads import check_upload
from ihospital.core.time import now

Status = Consultation.Status
AUTO_COMPLETER = Actor.system("auto-complete")


def message_payload(message: Message, consultation: Consultation) -> dict:
    """A message as both participants' pages render it (the same dict goes out live and in history)."""
    return {
        "id": str(message.public_id),
        "kind": message.kind,
        "text": message.text,
        "image_url": (f"/consultations/{consultation.public_id}/images/{message.public_id}/" if message.image else ""),
        "from": "doctor" if message.sender_id == consultation.doctor_id else "patient",
        "sent_at": message.sent_at.isoformat(),
    }


def _require_in_progress(consultation: Consultation) -> None:
    if consultation.status != Status.IN_PROGRESS:
        raise DomainError(ConsultationError.NOT_IN_PROGRESS)


@transaction.atomic
def message_post(*, sender: User, consultation: Consultation, text: str, actor: Actor) -> Message:
    """A text message in the room, kept and delivered live to both participants.

    Preconditions: ``sender`` is a participant (``access_consultation_participant``).
    Refuses: consultation.message_invalid (empty or over CHAT_MAX_CHARS), consultation.not_in_progress.
    """
    text = (text or "").strip() if isinstance(text, str) else ""
    if not 1 <= len(text) <= settings.CHAT_MAX_CHARS:
        raise DomainError(ConsultationError.MESSAGE_INVALID, limit=settings.CHAT_MAX_CHARS)
    _require_in_progress(consultation)
    message = Message.objects.create(consultation=consultation, sender=sender, kind=Message.Kind.TEXT, text=text)
    return _published(message, consultation, actor)


def message_image_post(
    *, sender: User, consultation: Consultation, name: str, data: bytes | BinaryIO, actor: Actor
) -> Message:
    """A photo in the room: checked by content, metadata stripped, stored privately.

    No storage I/O inside a transaction: the photo is checked and written first, under a fresh name (the
    message's random public id); a short transaction then records it if the visit is still in progress
    (it may have ended while the photo was stored), and the file is deleted if it refuses or rolls back.
    Call it outside any transaction (core.files.stored).
    Refuses: upload.* (see core.files.uploads), upload.unsupported_type for a PDF (photos only here),
    consultation.not_in_progress.
    """
    _require_in_progress(consultation)
    checked = check_upload(name=name, data=data, max_bytes=settings.CHAT_IMAGE_MAX_BYTES, images_only=True)
    message = Message(
        consultation=consultation, sender=sender, kind=Message.Kind.IMAGE, content_type=checked.content_type
    )
    message.image.save(f"{message.public_id}.{checked.extension}", ContentFile(checked.content), save=False)
    with removed_if_refused(message.image):
        _record_image(message, consultation, actor=actor)
    return message


@transaction.atomic
def _record_image(message: Message, consultation: Consultation, *, actor: Actor) -> None:
    """The stored photo's message, if the visit is still in progress. The consultation's row is locked
    until commit, so a visit ending meanwhile ends after the photo, never under it."""
    if not Consultation.objects.select_for_update().filter(pk=consultation.pk, status=Status.IN_PROGRESS).exists():
        raise DomainError(ConsultationError.NOT_IN_PROGRESS)
    message.save(force_insert=True)
    _published(message, consultation, actor)


def _published(message: Message, consultation: Consultation, actor: Actor) -> Message:
    record(
        actor=actor,
        action="consultation.message",
        details={"message": str(message.public_id), "kind": message.kind},
        **target(consultation),
    )
    events.to_room_on_commit(consultation, "chat", message=message_payload(message, consultation))
    return message


def _end(consultation: Consultation, status: str, appointment_status: str, *, actor: Actor, **changes) -> None:
    from ihospital.consultations.tasks import recordings_assemble_for_task

    move(consultation, status, ended_at=now(), **changes)
    move_appointment(consultation.appointment, appointment_status)
    record(actor=actor, action=f"consultation.{status}", details=changes, **target(consultation))
    events.to_room_on_commit(consultation, "ended", outcome=status, reason=consultation.referral_reason)
    events.announce_queue_on_commit(consultation)
    # The doctor's browser sends its last chunk as the call stops: give it a minute before assembling.
    transaction.on_commit(partial(recordings_assemble_for_task.schedule, args=(consultation.pk,), delay=60))
    consultation_meeting_close(consultation=consultation)


@transaction.atomic
def consultation_complete(*, doctor: User, consultation: Consultation, actor: Actor) -> Consultation:
    """The doctor ends the visit. Refuses core.illegal_transition unless it is in progress."""
    _end(consultation, Status.COMPLETED, Appointment.Status.COMPLETED, actor=actor)
    return consultation


@transaction.atomic
def consultation_refer(*, doctor: User, consultation: Consultation, reason: str, actor: Actor) -> Consultation:
    """End the visit advising an in-person one (the follow-up-only rule: a new problem needs a first
    visit in person). Recorded with the reason, and the patient is told.

    Refuses: consultation.referral_reason_required, core.illegal_transition unless in progress.
    """
    from ihospital.appointments.notify import notify_patient

    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 300:
        raise DomainError(ConsultationError.REFERRAL_REASON_REQUIRED)
    _end(consultation, Status.REFERRED, Appointment.Status.COMPLETED, actor=actor, referral_reason=reason)
    notify_patient(
        appointment=consultation.appointment,
        event="referred",
        text=gettext_noop("[ihospital] The doctor advises an in-person visit: %(reason)s"),
        params={"reason": reason},
    )
    return consultation


@transaction.atomic
def consultation_auto_complete(*, consultation_pk: int) -> bool:
    """SPEC §3.11: a consultation started and not finished completes by itself 24 hours after it started,
    so the patient can book again. Does nothing earlier, or if it already ended."""
    cutoff = now() - timedelta(hours=settings.CONSULTATION_AUTO_COMPLETE_HOURS)
    consultation = Consultation.objects.filter(
        pk=consultation_pk, status=Status.IN_PROGRESS, started_at__lte=cutoff
    ).first()
    if consultation is None:
        return False
    try:
        _end(
            consultation, Status.AUTO_COMPLETED, Appointment.Status.AUTO_COMPLETED, actor=Actor.system("auto-complete")
        )
    except DomainError:  # the doctor completed it this very moment
        return False
    return True


def consultations_auto_complete_due() -> int:
    """The sweeper: every consultation over its 24 hours (a worker that was down misses none)."""
    cutoff = now() - timedelta(hours=settings.CONSULTATION_AUTO_COMPLETE_HOURS)
    due = Consultation.objects.filter(status=Status.IN_PROGRESS, started_at__lte=cutoff).values_list("pk", flat=True)
    return sum(consultation_auto_complete(consultation_pk=pk) for pk in list(due))
