"""Just enough of WebM (Matroska/EBML) to tell how long a recording is.

MediaRecorder writes a live stream: the Segment and its Clusters have "unknown" sizes and the header
carries no Duration. The duration is the last block's time: its Cluster's Timecode plus the block's
16-bit relative timecode, in TimecodeScale units (1 ms by default). Masters we need to look into are
entered (sizes ignored); everything else is skipped by its size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

EBML_MAGIC = b"\x1a\x45\xdf\xa3"
EBML = 0x1A45DFA3
SEGMENT, CLUSTER, INFO, BLOCK_GROUP = 0x18538067, 0x1F43B675, 0x1549A966, 0xA0
TIMECODE, SIMPLE_BLOCK, BLOCK, TIMECODE_SCALE = 0xE7, 0xA3, 0xA1, 0x2AD7B1
ENTERED = {SEGMENT, CLUSTER, INFO, BLOCK_GROUP}


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """Read a variable-size integer at ``pos``: (value, length, all value bits set = unknown size)."""
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise ValueError("bad EBML variable-size integer")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, unknown


def _block_timecode(payload: bytes) -> int | None:
    """A (Simple)Block's timecode relative to its Cluster, or None if the block is damaged."""
    try:
        _, track_len, _ = _vint(payload, 0, keep_marker=False)
    except (ValueError, IndexError):
        return None
    if len(payload) < track_len + 3:  # track number, 16-bit timecode, flags
        return None
    return int.from_bytes(payload[track_len : track_len + 2], "big", signed=True)


class _Reader:
    """Forward-only reads over a binary stream (a take's chunks joined), never more than SKIP_PIECE
    bytes held at once."""

    SKIP_PIECE = 64 * 1024

    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes; fewer only at the end of the stream."""
        parts, wanted = [], size
        while wanted > 0 and (part := self.stream.read(wanted)):
            parts.append(part)
            wanted -= len(part)
        return b"".join(parts)

    def skip(self, size: int) -> bool:
        """Pass over ``size`` bytes; False if the stream ended first."""
        while size > 0:
            part = self.read(min(size, self.SKIP_PIECE))
            if not part:
                return False
            size -= len(part)
        return True

    def vint(self, *, keep_marker: bool) -> tuple[int, bool]:
        """The next variable-size integer: (value, unknown size). ValueError at the end or if invalid."""
        first = self.read(1)
        if not first:
            raise ValueError("end of stream")
        length = 1
        while length <= 8 and not first[0] & (0x80 >> (length - 1)):
            length += 1
        rest = self.read(length - 1) if length <= 8 else b""
        if length > 8 or len(rest) < length - 1:
            raise ValueError("bad EBML variable-size integer")
        value, _, unknown = _vint(first + rest, 0, keep_marker=keep_marker)
        return value, unknown


# A (Simple)Block starts with its track number (a vint, ≤ 8 bytes), a 16-bit timecode and flags.
_BLOCK_HEAD = 8 + 2 + 1


@dataclass
class _Clock:
    scale_ns: int = 1_000_000
    cluster_time: int = 0
    last: int = 0

    def read(self, reader: _Reader, element: int, size: int) -> bool:
        """Take in one element's body; False if the stream ends in it or a damaged block stops the measure
        (assembly must never fail on one)."""
        if element in (TIMECODE_SCALE, TIMECODE) and size <= 8:
            payload = reader.read(size)
            if len(payload) < size:
                return False
            if element == TIMECODE_SCALE:
                self.scale_ns = int.from_bytes(payload, "big") or self.scale_ns
            else:
                self.cluster_time = int.from_bytes(payload, "big")
            return True
        if element in (SIMPLE_BLOCK, BLOCK):
            head = reader.read(min(size, _BLOCK_HEAD))
            if len(head) < min(size, _BLOCK_HEAD) or not reader.skip(size - len(head)):
                return False  # cut short: only complete blocks count
            relative = _block_timecode(head)
            if relative is None:
                return False
            self.last = max(self.last, self.cluster_time + relative)
            return True
        return reader.skip(size)


def duration_ms(data: bytes | BinaryIO) -> int:
    """The recording's duration in milliseconds; 0 if it is not WebM or holds no media block. A file cut
    short (a crash mid-chunk) is measured up to its last complete element.

    ``data`` is the recording's bytes or a stream of them, read once from where it is: the media blocks
    are passed over, so a take of any length is measured in constant memory."""
    reader = _Reader(BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data)
    clock, first = _Clock(), True
    while True:
        try:
            element, _ = reader.vint(keep_marker=True)
            size, unknown = reader.vint(keep_marker=False)
        except ValueError:
            break
        if first and element != EBML:
            return 0
        first = False
        if element in ENTERED:
            continue
        if unknown or not clock.read(reader, element, size):
            break
    return clock.last * clock.scale_ns // 1_000_000


DURATION = 0x4489


def _element_at(data: bytes, pos: int) -> tuple[int, int, int, int, bool]:
    """(id, size-field position, size-field length, size, unknown) of the element at ``pos``."""
    element, id_len, _ = _vint(data, pos, keep_marker=True)
    size, size_len, unknown = _vint(data, pos + id_len, keep_marker=False)
    return element, pos + id_len, size_len, size, unknown


def _size_field(size: int, length: int) -> bytes | None:
    """``size`` as an EBML size of exactly ``length`` bytes, or None if it does not fit."""
    if size >= (1 << (7 * length)) - 1:
        return None
    return ((1 << (7 * length)) | size).to_bytes(length, "big")


def with_duration(data: bytes, milliseconds: int) -> bytes:
    """The same stream with a Duration in its Segment Info, so that players show the length and a seek
    bar (MediaRecorder can't write one: it doesn't know the length while recording). The media bytes
    are untouched; anything unexpected returns ``data`` unchanged."""
    try:
        info = _find_info(data)
    except (ValueError, IndexError):
        return data
    if info is None:
        return data
    size_pos, size_len, size = info
    body, end = size_pos + size_len, size_pos + size_len + size
    if end > len(data):  # the Info runs past what we were given
        return data
    if _has_child(data, body, end, DURATION):
        return data
    scale_ns = _child_uint(data, body, end, TIMECODE_SCALE) or 1_000_000
    duration = DURATION.to_bytes(2, "big") + b"\x88" + struct.pack(">d", milliseconds * 1_000_000 / scale_ns)
    new_size = _size_field(size + len(duration), size_len)
    if new_size is None:
        return data
    return data[:size_pos] + new_size + data[body:end] + duration + data[end:]


def _find_info(data: bytes) -> tuple[int, int, int] | None:
    """(size-field position, size-field length, size) of the Info of a live (unknown-size) Segment."""
    _, size_pos, size_len, size, _ = _element_at(data, 0)  # the EBML header
    element, size_pos, size_len, _, unknown = _element_at(data, size_pos + size_len + size)
    if element != SEGMENT or not unknown:  # only MediaRecorder's live streams are rewritten
        return None
    pos = size_pos + size_len
    while True:
        element, size_pos, size_len, size, unknown = _element_at(data, pos)
        if element == INFO:
            return size_pos, size_len, size
        if element == CLUSTER or unknown:
            return None  # no Info before the media
        pos = size_pos + size_len + size


def _children(data: bytes, body: int, end: int):
    pos = body
    while pos < end:
        element, size_pos, size_len, size, _ = _element_at(data, pos)
        yield element, size_pos + size_len, size
        pos = size_pos + size_len + size


def _has_child(data: bytes, body: int, end: int, wanted: int) -> bool:
    return any(element == wanted for element, _, _ in _children(data, body, end))


def _child_uint(data: bytes, body: int, end: int, wanted: int) -> int | None:
    for element, start, size in _children(data, body, end):
        if element == wanted:
            return int.from_bytes(data[start : start + size], "big")
    return None
