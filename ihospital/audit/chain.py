"""The hash chain: how an entry's MAC and chain hash are computed, and how the whole trail is verified."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "details",
)


def canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_hash(prev_hash: str, values: dict[str, Any]) -> str:
    body = prev_hash.encode() + b"|" + canonical({name: values[name] for name in HASHED_FIELDS})
    return hmac.new(settings.AUDIT_CHAIN_KEY.encode(), body, hashlib.sha256).hexdigest()


def entry_mac(values: dict[str, Any]) -> str:
    """An entry's own HMAC, computed when it is written (before it has a place in the chain): its
    content without ``seq``. A changed or forged entry that was not yet chained fails it."""
    body = b"entry|" + canonical({name: values[name] for name in HASHED_FIELDS if name != "seq"})
    return hmac.new(settings.AUDIT_CHAIN_KEY.encode(), body, hashlib.sha256).hexdigest()


def mac_valid(row: Any) -> bool:
    """Entries written before MACs existed (``mac`` empty) are covered by the chain alone."""
    if not row.mac:
        return row.seq is not None
    return hmac.compare_digest(entry_mac(row_values(row)), row.mac)


def row_values(row: Any) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in HASHED_FIELDS}
    values["created_at"] = row.created_at.isoformat()
    values["ip"] = row.ip or ""
    return values


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None  # None: an entry not chained yet (the explanation names its id)
    kind: str  # "edited" | "inserted" | "deleted" | "forged"
    explanation: str


def verify(rows: Iterable[Any]) -> Iterator[ChainProblem]:
    """Yield every break in the chain, in order. ``rows`` must come ordered by ``seq``.

    - a row whose own hash does not match its content, but whose hash the next row still links to,
      was *edited*;
    - a row whose hash is not valid and which the chain does not link to was *inserted*;
    - a gap in ``seq`` or a valid row that does not link to its predecessor means rows were *deleted*.

    - a row whose chain hash is valid but whose own MAC is not was changed (or forged) *before* it was
      chained: *edited* too.
    """
    previous_hash, expected_seq = GENESIS, 1
    suspect: Any = None  # a row with a bad hash, waiting to see whether its successor links to it
    for row in rows:
        valid = entry_hash(row.prev_hash, row_values(row)) == row.hash
        if valid and not mac_valid(row):
            yield ChainProblem(row.seq, "edited", f"entry #{row.seq} was changed or forged before it was chained")
        if suspect is not None:
            yield _classify_bad_row(suspect, linked=row.prev_hash == suspect.hash)
            suspect = None
        elif valid and (row.seq != expected_seq or row.prev_hash != previous_hash):
            yield ChainProblem(row.seq, "deleted", f"entries just before #{row.seq} are missing")
        if not valid:
            suspect = row
        previous_hash, expected_seq = row.hash, row.seq + 1
    if suspect is not None:
        yield _classify_bad_row(suspect, linked=False)


def _classify_bad_row(row: Any, *, linked: bool) -> ChainProblem:
    if linked:
        return ChainProblem(row.seq, "edited", f"entry #{row.seq} was changed after it was written")
    return ChainProblem(row.seq, "inserted", f"entry #{row.seq} was not written by the application")


def verify_unchained(rows: Iterable[Any]) -> Iterator[ChainProblem]:
    """Yield every entry not chained yet whose MAC does not match: changed since it was written, or not
    written by the application (without the key nobody can make a matching MAC)."""
    for row in rows:
        if not mac_valid(row):
            yield ChainProblem(
                None, "forged", f"entry id {row.pk} (not chained yet) was changed or not written by the application"
            )
