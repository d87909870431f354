"""Recording: the doctor's browser uploads the call in chunks while it lasts; the server assembles them.

A crash loses at most the chunk in flight. A reload starts a new take (a WebM stream can't be resumed),
so a consultation may have several recordings, each a playable file. Nothing here deletes a recording or
a chunk; only a file of our own that lost a race (a refused chunk's, an overtaken assembler's copy).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q

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
# Long enough for a worker to copy hours of video to remote storage; a claim older than this is dead.
ASSEMBLY_LEASE = timedelta(minutes=30)
HEAD_BYTES = 64 * 1024  # MediaRecorder writes the Segment Info within the first few hundred bytes
COPY_PIECE = 256 * 1024  # what is held in memory at once while a take is measured or copied


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


def recording_chunk_add(*, recording: Recording, seq: int, data: bytes) -> RecordingChunk:
    """Store chunk ``seq`` (0-based) of a take. A retried upload of the same chunk is accepted once.

    The file is written before, and deleted (if refused) after, the short transaction that records and
    counts it: no storage I/O inside a transaction.
    Refuses: consultation.recording_closed (being or already assembled), consultation.chunk_invalid (bad
    sequence number, empty, oversize, or a first chunk that is not WebM).
    """
    if not (0 <= seq < MAX_CHUNKS) or not data or len(data) > settings.RECORDING_CHUNK_MAX_BYTES:
        raise DomainError(ConsultationError.CHUNK_INVALID)
    if seq == 0 and not data.startswith(webm.EBML_MAGIC):
        raise DomainError(ConsultationError.CHUNK_INVALID)
    if Recording.objects.filter(pk=recording.pk, assembling_since__isnull=False).exists():
        raise DomainError(ConsultationError.RECORDING_CLOSED)
    existing = RecordingChunk.objects.filter(recording=recording, seq=seq).first()
    if existing is not None:
        return existing
    chunk = RecordingChunk(recording=recording, seq=seq, size=len(data))
    chunk.file.save(f"{recording.public_id}-{seq:06d}.part", ContentFile(data), save=False)
    try:
        _chunk_count(chunk)
    except IntegrityError:  # the same chunk raced in twice
        chunk.file.delete(save=False)
        return RecordingChunk.objects.get(recording=recording, seq=seq)
    except DomainError:
        chunk.file.delete(save=False)
        raise
    return chunk


@transaction.atomic
def _chunk_count(chunk: RecordingChunk) -> None:
    chunk.save()
    counted = Recording.objects.filter(pk=chunk.recording_id, assembling_since__isnull=True).update(
        chunk_count=F("chunk_count") + 1, last_chunk_at=now()
    )
    if not counted:  # claimed for assembly meanwhile: the file would lack this chunk (rolls the row back)
        raise DomainError(ConsultationError.RECORDING_CLOSED)


def recording_assemble(*, recording_pk: int) -> Recording | None:
    """Join a take's chunks in order into one file, once; note any gaps; measure its duration.
    Returns None if there was nothing to do (assembled or being assembled, or no chunk arrived).

    Three steps, no storage I/O inside a transaction and no row lock held while files move: claim the
    take by compare-and-set of ``assembling_since`` (it then accepts no chunk); read the chunks and write
    the file, streaming (a take is never held in memory: it is read twice, once to measure and once to
    copy, a piece at a time); record the file and the audit entry in one short transaction, by
    compare-and-set on the claim. A claim older than ASSEMBLY_LEASE (a worker that died) is taken over;
    should the first worker finish after all, its compare-and-set fails and it deletes its own copy, so
    one file is recorded either way.
    """
    if not RecordingChunk.objects.filter(recording_id=recording_pk).exists():
        return None
    claim = _claim(recording_pk)
    if claim is None:
        return None
    recording = Recording.objects.select_related("consultation").get(pk=recording_pk)
    chunks = list(RecordingChunk.objects.filter(recording_id=recording_pk).order_by("seq"))
    with _TakeStream(chunks) as take:
        recording.duration_ms = webm.duration_ms(take)
    written = _write_file(recording, chunks)
    recording.size, recording.sha256 = written.size, written.sha256
    expected = set(range(chunks[-1].seq + 1))
    recording.missing_chunks = ",".join(map(str, sorted(expected - {chunk.seq for chunk in chunks})))[:200]
    recording.assembled_at = now()
    if not _record(recording, claim=claim):
        recording.file.delete(save=False)  # our copy: another worker's took its place
        return None
    return recording


def _claim(recording_pk: int) -> datetime | None:
    """Compare-and-set: the take is ours if nobody holds a live claim and it isn't assembled."""
    claim = now()
    free = Q(assembling_since__isnull=True) | Q(assembling_since__lte=claim - ASSEMBLY_LEASE)
    claimed = Recording.objects.filter(free, pk=recording_pk, assembled_at__isnull=True).update(assembling_since=claim)
    return claim if claimed else None


@dataclass
class _Written:
    size: int = 0
    sha256: str = ""


def _write_file(recording: Recording, chunks: list[RecordingChunk]) -> _Written:
    """Store the chunks joined, with the Duration written into the stream's head (players then show a
    length and a seek bar), hashing what goes by."""
    written, digest = _Written(), hashlib.sha256()

    def pieces() -> Iterator[bytes]:
        with _TakeStream(chunks) as take:
            piece = webm.with_duration(take.read(HEAD_BYTES), recording.duration_ms)
            while piece:
                digest.update(piece)
                written.size += len(piece)
                yield piece
                piece = take.read(COPY_PIECE)

    stream = io.BufferedReader(_PiecesStream(pieces()), COPY_PIECE)
    recording.file.save(f"{recording.public_id}.webm", File(stream), save=False)
    written.sha256 = digest.hexdigest()
    return written


@transaction.atomic
def _record(recording: Recording, *, claim: datetime) -> bool:
    """The assembled file and its audit entry, if the claim is still ours."""
    recorded = Recording.objects.filter(pk=recording.pk, assembling_since=claim, assembled_at__isnull=True).update(
        file=recording.file.name,
        size=recording.size,
        sha256=recording.sha256,
        duration_ms=recording.duration_ms,
        missing_chunks=recording.missing_chunks,
        assembled_at=recording.assembled_at,
    )
    if not recorded:
        return False
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
    return True


class _TakeStream(io.BufferedReader):
    """A take's chunk files as one stream, each opened only while it is read."""

    def __init__(self, chunks: list[RecordingChunk]):
        super().__init__(_JoinedFiles([(chunk.file.storage, chunk.file.name or "") for chunk in chunks]), COPY_PIECE)


class _JoinedFiles(io.RawIOBase):
    def __init__(self, files: list[tuple[Storage, str]]):
        self.pending = list(reversed(files))
        self.current: IO[bytes] | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self.current is not None or self.pending:
            if self.current is None:
                storage, name = self.pending.pop()
                self.current = storage.open(name, "rb")
            data = self.current.read(len(buffer))
            if data:
                buffer[: len(data)] = data
                return len(data)
            self.current.close()
            self.current = None
        return 0

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
        super().close()


class _PiecesStream(io.RawIOBase):
    """A readable stream over an iterator of byte strings, for a storage to consume as it writes."""

    def __init__(self, pieces: Iterator[bytes]):
        self.pieces = pieces
        self.left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.left:
            piece = next(self.pieces, None)
            if piece is None:
                return 0
            self.left = memoryview(piece)
        size = min(len(buffer), len(self.left))
        buffer[:size] = self.left[:size]
        self.left = self.left[size:]
        return size


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
