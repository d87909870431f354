"""Recording: the doctor's browser uploads the call in chunks while it lasts; the server assembles them.

A crash loses at most the chunk in flight. A reload starts a new take (a WebM stream can't be resumed),
so a consultation may have several recordings, each a playable file. Nothing here deletes anything.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F

from ihospital.accounts.models import User
from ihospital.audit.services import Actor, record
from ihospital.consultations import webm
from ihospital.consultations.errors import ConsultationError
from ihospital.consultations.models import Consultation, Recording, RecordingChunk
from ihospital.consultations.services._common import target
from ihospital.core.errors import DomainError
from ihospital.core.time import now

MAX_CHUNKS = 100_000
ALLOWED_MIME_PREFIXES = ("video/webm", "audio/webm")


@transaction.atomic
def recording_start(*, doctor: User, consultation: Consultation, mime_type: str, actor: Actor) -> Recording:
    """A new take. Refuses consultation.not_in_progress, consultation.chunk_invalid (not WebM)."""
    if consultation.status != Consultation.Status.IN_PROGRESS:
        raise DomainError(ConsultationError.NOT_IN_PROGRESS)
    mime_type = (mime_type or "video/webm").strip()[:60]
    if not mime_type.startswith(ALLOWED_MIME_PREFIXES):
        raise DomainError(ConsultationError.CHUNK_INVALID)
    recording = Recording.objects.create(consultation=consultation, mime_type=mime_type)
    record(
        actor=actor,
        action="consultation.recording_start",
        details={"recording": str(recording.public_id)},
        **target(consultation),
    )
    return recording


@transaction.atomic
def recording_chunk_add(*, recording: Recording, seq: int, data: bytes) -> RecordingChunk:
    """Store chunk ``seq`` (0-based) of a take. A retried upload of the same chunk is accepted once.

    Refuses: consultation.recording_closed (already assembled), consultation.chunk_invalid (bad
    sequence number, empty, oversize, or a first chunk that is not WebM).
    """
    if not (0 <= seq < MAX_CHUNKS) or not data or len(data) > settings.RECORDING_CHUNK_MAX_BYTES:
        raise DomainError(ConsultationError.CHUNK_INVALID)
    if seq == 0 and not data.startswith(webm.EBML_MAGIC):
        raise DomainError(ConsultationError.CHUNK_INVALID)
    if Recording.objects.filter(pk=recording.pk, assembled_at__isnull=False).exists():
        raise DomainError(ConsultationError.RECORDING_CLOSED)
    existing = RecordingChunk.objects.filter(recording=recording, seq=seq).first()
    if existing is not None:
        return existing
    chunk = RecordingChunk(recording=recording, seq=seq, size=len(data))
    chunk.file.save(f"{recording.public_id}-{seq:06d}.part", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            chunk.save()
    except IntegrityError:  # the same chunk raced in twice
        chunk.file.delete(save=False)
        return RecordingChunk.objects.get(recording=recording, seq=seq)
    counted = Recording.objects.filter(pk=recording.pk, assembled_at__isnull=True).update(
        chunk_count=F("chunk_count") + 1, last_chunk_at=now()
    )
    if not counted:  # assembled meanwhile (under the row lock this UPDATE waited on): the file lacks this chunk
        chunk.file.delete(save=False)
        raise DomainError(ConsultationError.RECORDING_CLOSED)
    return chunk


@transaction.atomic
def recording_assemble(*, recording_pk: int) -> Recording | None:
    """Join a take's chunks in order into one file, once; note any gaps; measure its duration.
    Returns None if there was nothing to do (already assembled, or no chunk arrived)."""
    recording = Recording.objects.select_for_update().filter(pk=recording_pk, assembled_at__isnull=True).first()
    if recording is None:
        return None
    chunks = list(recording.chunks.order_by("seq"))
    if not chunks:
        return None
    content = bytearray()
    for chunk in chunks:
        with chunk.file.open("rb") as part:
            content += part.read()
    expected = set(range(chunks[-1].seq + 1))
    missing = sorted(expected - {chunk.seq for chunk in chunks})
    recording.duration_ms = webm.duration_ms(bytes(content))
    data = webm.with_duration(bytes(content), recording.duration_ms)  # players then show a length and seek bar
    recording.file.save(f"{recording.public_id}.webm", ContentFile(data), save=False)
    recording.size = len(data)
    recording.sha256 = hashlib.sha256(data).hexdigest()
    recording.missing_chunks = ",".join(map(str, missing))[:200]
    recording.assembled_at = now()
    recording.save()
    record(
        actor=Actor.system("recording"),
        action="consultation.recording_assembled",
        details={
            "recording": str(recording.public_id),
            "size": recording.size,
            "duration_ms": recording.duration_ms,
            "sha256": recording.sha256,
            "missing": recording.missing_chunks,
        },
        **target(recording.consultation),
    )
    return recording


def recordings_assemble_for(consultation_pk: int) -> int:
    pks = Recording.objects.filter(consultation_id=consultation_pk, assembled_at__isnull=True).values_list(
        "pk", flat=True
    )
    return sum(recording_assemble(recording_pk=pk) is not None for pk in list(pks))


def recordings_assemble_idle() -> int:
    """The sweeper: takes that stopped receiving chunks (a crashed browser) are assembled as they are."""
    idle = now() - timedelta(minutes=settings.RECORDING_ASSEMBLE_AFTER_IDLE_MINUTES)
    pks = Recording.objects.filter(assembled_at__isnull=True, last_chunk_at__lte=idle).values_list("pk", flat=True)
    return sum(recording_assemble(recording_pk=pk) is not None for pk in list(pks))
