"""Recording: the doctor's browser uploads WebM chunks during the call; the server joins them once, in
order, noting gaps, and measures the duration from the stream itself."""

from __future__ import annotations

import hashlib
import tracemalloc
from datetime import timedelta

import pytest
from django.db import connection

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.consultations import webm
from ihospital.consultations.models import Recording, RecordingChunk
from ihospital.consultations.services import (
    consultation_complete,
    recording_assemble,
    recording_chunk_add,
    recording_start,
    recordings_assemble_idle,
)
from ihospital.consultations.services import recording as recording_service
from ihospital.consultations.tests.conftest import checked_in, code_of
from ihospital.core.testing.concurrency import race
from ihospital.core.time import now

# --- a synthetic WebM stream, as MediaRecorder writes it (live: unknown sizes, no Duration) -----------

UNKNOWN_SIZE = bytes.fromhex("01FFFFFFFFFFFFFF")


def size_vint(length: int) -> bytes:
    if length < 0x7F:
        return bytes([0x80 | length])
    assert length < 0x3FFF
    return (0x4000 | length).to_bytes(2, "big")


def element(element_id: str, payload: bytes) -> bytes:
    return bytes.fromhex(element_id) + size_vint(len(payload)) + payload


def ebml_header() -> bytes:
    return element("1A45DFA3", element("4286", b"\x01") + element("4282", b"webm") + element("4287", b"\x04"))


def segment_start(timecode_scale_ns: int = 1_000_000) -> bytes:
    info = element("1549A966", element("2AD7B1", timecode_scale_ns.to_bytes(3, "big")) + element("4D80", b"Chrome"))
    return bytes.fromhex("18538067") + UNKNOWN_SIZE + info


def simple_block(relative_ms: int, data: bytes = b"\x00" * 20) -> bytes:
    # track number 1 as a vint (0x81), the 16-bit signed relative timecode, flags (keyframe), frame data
    return element("A3", b"\x81" + relative_ms.to_bytes(2, "big", signed=True) + b"\x80" + data)


def cluster(timecode_ms: int, *relative_ms: int) -> bytes:
    timecode = element("E7", timecode_ms.to_bytes(2, "big"))
    return bytes.fromhex("1F43B675") + UNKNOWN_SIZE + timecode + b"".join(simple_block(r) for r in relative_ms)


def stream(*clusters: bytes, timecode_scale_ns: int = 1_000_000) -> bytes:
    return ebml_header() + segment_start(timecode_scale_ns) + b"".join(clusters)


# --- measuring ---------------------------------------------------------------------------------------


def test_the_duration_is_the_last_blocks_time():
    assert webm.duration_ms(stream(cluster(0, 0, 500, 1000), cluster(2000, 0, 500))) == 2500


def test_blocks_are_timed_from_their_own_cluster():
    assert webm.duration_ms(stream(cluster(0, 0, 20), cluster(1000, 0, 40), cluster(30000, 0, 999))) == 30999


def test_the_timecode_scale_is_honoured():
    assert webm.duration_ms(stream(cluster(0, 0), cluster(2000, 500), timecode_scale_ns=2_000_000)) == 5000


def test_a_stream_without_media_blocks_lasts_nothing():
    assert webm.duration_ms(ebml_header() + segment_start()) == 0


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, b"not webm at all", b"\x1a\x45\xdf"])
def test_something_that_is_not_webm_lasts_nothing(data):
    assert webm.duration_ms(data) == 0


def test_a_stream_cut_mid_block_is_measured_to_its_last_complete_block():
    whole = stream(cluster(0, 0, 500), cluster(2000, 0, 700))
    assert webm.duration_ms(whole) == 2700
    cut = whole[:-5]  # the +700 block lost its last bytes
    assert webm.duration_ms(cut) == 2000
    assert webm.duration_ms(whole[:-1]) == 2000


def test_a_stream_cut_inside_an_element_header_is_measured_too():
    whole = stream(cluster(0, 0, 500), cluster(2000, 300))
    cut = whole[: len(whole) - len(simple_block(300)) + 1]  # only the SimpleBlock's id byte arrived
    assert webm.duration_ms(cut) == 500


@pytest.mark.parametrize(
    "damaged_block",
    [element("A3", b""), element("A3", b"\x00\x00\x01\x80"), element("A3", b"\x81"), element("A3", b"\x81\x07")],
    ids=["empty", "bad-track-number", "no-timecode", "half-a-timecode"],
)
def test_a_damaged_block_ends_the_measurement_instead_of_failing(damaged_block):
    assert webm.duration_ms(stream(cluster(0, 0, 500)) + damaged_block + cluster(9000, 0)) == 500


# --- taking a recording ------------------------------------------------------------------------------


def start(consultation, doctor, mime_type="video/webm;codecs=vp8,opus"):
    return recording_start(doctor=doctor, consultation=consultation, mime_type=mime_type, actor=Actor.of(doctor))


def add(recording, seq, data):
    return recording_chunk_add(recording=recording, seq=seq, data=data)


def chunks_of(data: bytes, count: int) -> list[bytes]:
    size = -(-len(data) // count)
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_a_recording_starts_only_while_the_consultation_is_in_progress(accepted, confirmed_bob, commit):
    waiting = checked_in(accepted, commit)
    assert code_of(lambda: start(waiting, confirmed_bob)) == "consultation.not_in_progress"
    assert not Recording.objects.exists()


def test_a_recording_after_the_consultation_ended_is_refused(in_progress, confirmed_bob, commit):
    with commit():
        consultation_complete(doctor=confirmed_bob, consultation=in_progress, actor=Actor.of(confirmed_bob))
    in_progress.refresh_from_db()
    assert code_of(lambda: start(in_progress, confirmed_bob)) == "consultation.not_in_progress"


def test_a_recording_is_started_and_audited(in_progress, confirmed_bob):
    recording = start(in_progress, confirmed_bob)
    assert recording.mime_type == "video/webm;codecs=vp8,opus"
    event = AuditEvent.objects.get(action="consultation.recording_start", target_id=str(in_progress.public_id))
    assert event.details["recording"] == str(recording.public_id)


def test_only_webm_can_be_recorded(in_progress, confirmed_bob):
    assert code_of(lambda: start(in_progress, confirmed_bob, "video/mp4")) == "consultation.chunk_invalid"


def test_the_first_chunk_must_start_a_webm_stream(in_progress, confirmed_bob):
    recording = start(in_progress, confirmed_bob)
    assert code_of(lambda: add(recording, 0, b"RIFF....WEBP")) == "consultation.chunk_invalid"
    assert code_of(lambda: add(recording, 0, b"")) == "consultation.chunk_invalid"
    assert code_of(lambda: add(recording, -1, webm.EBML_MAGIC)) == "consultation.chunk_invalid"
    assert not RecordingChunk.objects.exists()
    add(recording, 0, stream(cluster(0, 0)))
    add(recording, 1, cluster(1000, 0))  # later chunks continue the stream mid-way
    assert RecordingChunk.objects.filter(recording=recording).count() == 2


def test_an_oversize_chunk_is_refused(in_progress, confirmed_bob, settings):
    settings.RECORDING_CHUNK_MAX_BYTES = 1024
    recording = start(in_progress, confirmed_bob)
    assert code_of(lambda: add(recording, 0, webm.EBML_MAGIC + b"\x00" * 1021)) == "consultation.chunk_invalid"
    add(recording, 0, webm.EBML_MAGIC + b"\x00" * 1020)
    assert code_of(lambda: add(recording, 1, b"\x00" * 1025)) == "consultation.chunk_invalid"


def test_a_retried_chunk_is_kept_once(in_progress, confirmed_bob):
    recording = start(in_progress, confirmed_bob)
    first = add(recording, 0, stream(cluster(0, 0)))
    again = add(recording, 0, stream(cluster(0, 0)))
    assert first.pk == again.pk
    assert RecordingChunk.objects.filter(recording=recording).count() == 1
    recording.refresh_from_db()
    assert recording.chunk_count == 1 and recording.last_chunk_at is not None


def test_assembly_joins_the_chunks_in_order(in_progress, confirmed_bob):
    data = stream(cluster(0, 0, 500, 1000), cluster(2000, 0, 500), cluster(4000, 0, 250))
    parts = chunks_of(data, 4)
    recording = start(in_progress, confirmed_bob)
    for seq in (2, 0, 3, 1):  # uploads may arrive out of order
        add(recording, seq, parts[seq])
    assembled = recording_assemble(recording_pk=recording.pk)
    assert assembled is not None
    recording.refresh_from_db()
    with recording.file.open("rb") as file:
        stored = file.read()
    assert stored == webm.with_duration(data, 4250)  # the chunks in order, with the Duration players need
    assert recording.size == len(stored)
    assert recording.sha256 == hashlib.sha256(stored).hexdigest()
    assert recording.duration_ms == 4250
    assert recording.missing_chunks == ""
    assert recording.assembled_at is not None
    event = AuditEvent.objects.get(action="consultation.recording_assembled", target_id=str(in_progress.public_id))
    assert event.details["sha256"] == recording.sha256


def test_assembly_notes_the_chunks_that_never_arrived(in_progress, confirmed_bob):
    data = stream(cluster(0, 0), cluster(1000, 0), cluster(2000, 0), cluster(3000, 0), cluster(4000, 0, 100))
    parts = chunks_of(data, 5)
    recording = start(in_progress, confirmed_bob)
    for seq in (0, 2, 4):
        add(recording, seq, parts[seq])
    recording_assemble(recording_pk=recording.pk)
    recording.refresh_from_db()
    assert recording.missing_chunks == "1,3"
    with recording.file.open("rb") as file:
        joined = parts[0] + parts[2] + parts[4]
        assert file.read() == webm.with_duration(joined, webm.duration_ms(joined))


def test_assembly_happens_once_and_closes_the_take(in_progress, confirmed_bob):
    recording = start(in_progress, confirmed_bob)
    add(recording, 0, stream(cluster(0, 0, 500)))
    assert recording_assemble(recording_pk=recording.pk) is not None
    recording.refresh_from_db()
    first_file, first_hash = recording.file.name, recording.sha256
    assert recording_assemble(recording_pk=recording.pk) is None
    assert code_of(lambda: add(recording, 1, cluster(1000, 0))) == "consultation.recording_closed"
    recording.refresh_from_db()
    assert (recording.file.name, recording.sha256, recording.chunk_count) == (first_file, first_hash, 1)
    assert AuditEvent.objects.filter(action="consultation.recording_assembled").count() == 1


def test_a_chunk_racing_the_assembly_is_refused_not_silently_left_out(in_progress, confirmed_bob, monkeypatch):
    recording = start(in_progress, confirmed_bob)
    add(recording, 0, stream(cluster(0, 0, 500)))
    save = RecordingChunk.save

    def assembled_just_before(chunk, *args, **kwargs):
        # The assembly (another worker) commits after this upload's "already closed?" check.
        recording_assemble(recording_pk=recording.pk)
        save(chunk, *args, **kwargs)

    monkeypatch.setattr(RecordingChunk, "save", assembled_just_before)
    assert code_of(lambda: add(recording, 1, cluster(1000, 0))) == "consultation.recording_closed"
    monkeypatch.undo()
    assert list(RecordingChunk.objects.filter(recording=recording).values_list("seq", flat=True)) == [0]
    recording.refresh_from_db()
    assert recording.chunk_count == 1


def test_a_take_whose_stream_is_damaged_is_still_assembled(in_progress, confirmed_bob):
    recording = start(in_progress, confirmed_bob)
    add(recording, 0, stream(cluster(0, 0, 600)))
    add(recording, 1, element("A3", b""))
    assert recording_assemble(recording_pk=recording.pk) is not None
    recording.refresh_from_db()
    assert recording.assembled_at is not None and recording.duration_ms == 600


def test_a_take_without_chunks_is_not_assembled(in_progress, confirmed_bob):
    recording = start(in_progress, confirmed_bob)
    assert recording_assemble(recording_pk=recording.pk) is None
    recording.refresh_from_db()
    assert recording.assembled_at is None


def test_the_sweeper_assembles_a_take_left_idle_and_leaves_a_live_one(in_progress, confirmed_bob, settings):
    crashed, live = start(in_progress, confirmed_bob), start(in_progress, confirmed_bob)
    add(crashed, 0, stream(cluster(0, 0, 800)))
    add(live, 0, stream(cluster(0, 0, 300)))
    idle = settings.RECORDING_ASSEMBLE_AFTER_IDLE_MINUTES
    Recording.objects.filter(pk=crashed.pk).update(last_chunk_at=now() - timedelta(minutes=idle + 1))
    Recording.objects.filter(pk=live.pk).update(last_chunk_at=now() - timedelta(minutes=idle - 1))
    assert recordings_assemble_idle() == 1
    crashed.refresh_from_db()
    live.refresh_from_db()
    assert crashed.assembled_at is not None and crashed.duration_ms == 800
    assert live.assembled_at is None
    add(live, 1, cluster(1000, 0))
    assert recordings_assemble_idle() == 0


# --- the Duration written into the assembled file ------------------------------------------------------


def _info_duration(data: bytes) -> float | None:
    import struct

    marker = data.find(bytes.fromhex("4489") + b"\x88")
    return None if marker < 0 else struct.unpack(">d", data[marker + 3 : marker + 11])[0]


def test_the_assembled_stream_carries_its_duration_and_the_same_media():
    original = stream(cluster(0, 0, 500), cluster(2000, 0, 500))
    rewritten = webm.with_duration(original, 2500)
    assert _info_duration(rewritten) == 2500.0
    assert rewritten.endswith(original[len(ebml_header() + segment_start()) :])  # clusters untouched
    assert webm.duration_ms(rewritten) == 2500
    assert webm.with_duration(rewritten, 2500) == rewritten  # a Duration is never written twice


def test_the_duration_is_in_timecode_scale_units():
    original = stream(cluster(0, 0), cluster(2000, 500), timecode_scale_ns=2_000_000)
    assert _info_duration(webm.with_duration(original, 5000)) == 2500.0


def test_something_that_is_not_a_live_webm_stream_is_left_alone():
    for data in (b"", b"not webm at all", ebml_header(), ebml_header() + bytes.fromhex("1F43B675")):
        assert webm.with_duration(data, 1000) == data


# --- assembling without holding the take, and without storage I/O in a transaction --------------------


def big_take(clusters: int = 40, blocks: int = 10, block_bytes: int = 15_000) -> bytes:
    """~6 MB of WebM: clusters of large blocks, as a real video take has."""
    frames = b"".join(
        bytes.fromhex("1F43B675")
        + UNKNOWN_SIZE
        + element("E7", (c * 1000).to_bytes(2, "big"))
        + b"".join(simple_block(b * 100, b"\x5a" * block_bytes) for b in range(blocks))
        for c in range(clusters)
    )
    return ebml_header() + segment_start() + frames


def test_a_long_take_is_assembled_a_piece_at_a_time(in_progress, confirmed_bob, monkeypatch):
    data = big_take()
    recording = start(in_progress, confirmed_bob)
    for seq, part in enumerate(chunks_of(data, 3)):
        add(recording, seq, part)
    reads: list[int] = []
    storage = Recording._meta.get_field("file").storage
    open_file = storage.open

    class Counted:
        def __init__(self, file):
            self.file = file

        def read(self, size=-1):
            reads.append(size)
            return self.file.read(size)

        def close(self):
            self.file.close()

    def counted_open(name, mode="rb"):
        return Counted(open_file(name, mode))

    monkeypatch.setattr(storage, "open", counted_open)
    tracemalloc.start()
    try:
        assert recording_assemble(recording_pk=recording.pk) is not None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0 < max(reads) <= recording_service.COPY_PIECE  # never "read it all" (-1) nor more than a piece
    assert peak < len(data) / 3, f"{peak} bytes held for a {len(data)}-byte take"
    recording.refresh_from_db()
    assert recording.duration_ms == 39_900
    with recording.file.open("rb") as file:
        stored = file.read()
    assert stored == webm.with_duration(data, 39_900)
    assert recording.sha256 == hashlib.sha256(stored).hexdigest() and recording.size == len(stored)


@pytest.mark.django_db(transaction=True)
def test_files_are_written_and_read_outside_any_transaction(in_progress, confirmed_bob, monkeypatch):
    storage = Recording._meta.get_field("file").storage
    inside: list[str] = []
    for method in ("_save", "_open", "delete"):
        real = getattr(storage, method)

        def spied(*args, _real=real, _method=method, **kwargs):
            if connection.in_atomic_block:
                inside.append(_method)
            return _real(*args, **kwargs)

        monkeypatch.setattr(storage, method, spied)
    recording = start(in_progress, confirmed_bob)
    data = stream(cluster(0, 0, 500), cluster(1000, 0))
    add(recording, 0, data[:40])
    add(recording, 0, data[:40])  # a retry
    add(recording, 1, data[40:])
    assert recording_assemble(recording_pk=recording.pk) is not None
    assert code_of(lambda: add(recording, 2, cluster(2000, 0))) == "consultation.recording_closed"
    assert inside == []


def test_a_claimed_take_accepts_no_chunk_and_is_not_assembled_twice(in_progress, confirmed_bob):
    recording = start(in_progress, confirmed_bob)
    add(recording, 0, stream(cluster(0, 0, 500)))
    Recording.objects.filter(pk=recording.pk).update(assembling_since=now())  # another worker is at it
    assert code_of(lambda: add(recording, 1, cluster(1000, 0))) == "consultation.recording_closed"
    assert recording_assemble(recording_pk=recording.pk) is None
    assert recordings_assemble_idle() == 0


def test_a_claim_left_by_a_dead_worker_is_taken_over(in_progress, confirmed_bob):
    recording = start(in_progress, confirmed_bob)
    add(recording, 0, stream(cluster(0, 0, 500)))
    dead = now() - recording_service.ASSEMBLY_LEASE - timedelta(minutes=1)
    Recording.objects.filter(pk=recording.pk).update(assembling_since=dead, last_chunk_at=dead)
    assert recordings_assemble_idle() == 1
    recording.refresh_from_db()
    assert recording.assembled_at is not None and recording.duration_ms == 500


def test_a_worker_whose_claim_was_taken_over_keeps_nothing(in_progress, confirmed_bob, monkeypatch):
    recording = start(in_progress, confirmed_bob)
    add(recording, 0, stream(cluster(0, 0, 500)))
    written = []
    record_result = recording_service._record

    def overtaken(assembled, *, claim):
        written.append(assembled.file.name)
        Recording.objects.filter(pk=assembled.pk).update(assembling_since=now())  # the take-over
        return record_result(assembled, claim=claim)

    monkeypatch.setattr(recording_service, "_record", overtaken)
    assert recording_assemble(recording_pk=recording.pk) is None
    storage = Recording._meta.get_field("file").storage
    assert written and not storage.exists(written[0])  # its copy is gone; the new owner writes the file
    recording.refresh_from_db()
    assert (recording.file.name, recording.assembled_at) == ("", None)
    assert not AuditEvent.objects.filter(action="consultation.recording_assembled").exists()


@pytest.mark.django_db(transaction=True)
def test_assemblers_racing_on_one_take_make_one_file(in_progress, confirmed_bob):
    recording = start(in_progress, confirmed_bob)
    for seq, part in enumerate(chunks_of(stream(cluster(0, 0, 500), cluster(1000, 0, 250)), 3)):
        add(recording, seq, part)
    files_before = set(_stored_recordings())
    results = race(6, lambda i: recording_assemble(recording_pk=recording.pk))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len([r for r in results if r is not None]) == 1
    recording.refresh_from_db()
    assert set(_stored_recordings()) - files_before == {recording.file.name}
    assert AuditEvent.objects.filter(action="consultation.recording_assembled").count() == 1


def _stored_recordings() -> list[str]:
    storage = Recording._meta.get_field("file").storage
    found = []
    for year in storage.listdir("recordings")[0]:
        if year == "chunks":
            continue
        for month in storage.listdir(f"recordings/{year}")[0]:
            found += [f"recordings/{year}/{month}/{name}" for name in storage.listdir(f"recordings/{year}/{month}")[1]]
    return found
