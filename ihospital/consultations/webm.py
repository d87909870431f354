"""Just enough of WebM (Matroska/EBML) to tell how long a recording is.

MediaRecorder writes a live stream: the Segment and its Clusters have "unknown" sizes and the header
carries no Duration. The duration is the last block's time: its Cluster's Timecode plus the block's
16-bit relative timecode, in TimecodeScale units (1 ms by default). Masters we need to look into are
entered (sizes ignored); everything else is skipped by its size.
"""

from __future__ import annotations

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
