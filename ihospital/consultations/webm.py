"""Just enough of WebM (Matroska/EBML) to tell how long a recording is.

MediaRecorder writes a live stream: the Segment and its Clusters have "unknown" sizes and the header
carries no Duration. The duration is the last block's time: its Cluster's Timecode plus the block's
16-bit relative timecode, in TimecodeScale units (1 ms by default). Masters we need to look into are
entered (sizes ignored); everything else is skipped by its size.
"""

from __future__ import annotations

import struct

EBML_MAGIC = b"\x1a\x45\xdf\xa3"
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


def duration_ms(data: bytes) -> int:
    """The recording's duration in milliseconds; 0 if it is not WebM or holds no media block. A file cut
    short (a crash mid-chunk) is measured up to its last complete element."""
    if not data.startswith(EBML_MAGIC):
        return 0
    scale_ns, cluster_time, last = 1_000_000, 0, 0
    pos = 0
    while pos < len(data):
        try:
            element, id_len, _ = _vint(data, pos, keep_marker=True)
            size, size_len, unknown = _vint(data, pos + id_len, keep_marker=False)
        except (ValueError, IndexError):
            break
        body = pos + id_len + size_len
        if element in ENTERED:
            pos = body
            continue
        if unknown or body + size > len(data):
            break
        payload = data[body : body + size]
        if element == TIMECODE_SCALE:
            scale_ns = int.from_bytes(payload, "big") or scale_ns
        elif element == TIMECODE:
            cluster_time = int.from_bytes(payload, "big")
        elif element in (SIMPLE_BLOCK, BLOCK):
            relative = _block_timecode(payload)
            if relative is None:  # a damaged block ends the measurement: assembly must never fail on it
                break
            last = max(last, cluster_time + relative)
        pos = body + size
    return last * scale_ns // 1_000_000


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
