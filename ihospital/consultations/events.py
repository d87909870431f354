"""What the consultation room announces live, and to whom.

Three kinds of channel-layer groups:

- ``queue.<doctor>``: every patient waiting for that doctor, and the doctor. Carries only opaque queue
  tokens in order and the doctor's status, so a patient learns their position and nobody's identity.
- ``desk.<doctor>``: the doctor's own workstation; may name patients.
- ``room.<consultation>``: the two participants: the ring, chat, WebRTC signalling, the end.

Everything is published after commit (core.realtime), from the committed state.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import transaction

from ihospital.consultations.models import QUEUED_STATES, Consultation
from ihospital.core import realtime

PRESENCE_SECONDS = 60  # a doctor's desk pings every 20 s; silent for a minute means away


def queue_group(doctor_public_hex: str) -> str:
    return f"queue.{doctor_public_hex}"


def desk_group(doctor_public_hex: str) -> str:
    return f"desk.{doctor_public_hex}"


def room_group(consultation_public_hex: str) -> str:
    return f"room.{consultation_public_hex}"


def queue_order(doctor_pk: int) -> list[str]:
    """The queue as opaque tokens: slot order first (the number the patient booked), then arrival."""
    return list(Consultation.objects.queue_of(doctor_pk).values_list("queue_token", flat=True))


def queue_position(consultation: Consultation) -> int | None:
    """1 for the next patient; None once called in or ended. One COUNT, not the whole queue: every
    connecting patient asks, and a crowd of N connects must not cost N × N rows."""
    if consultation.status not in QUEUED_STATES:
        return None
    return Consultation.objects.ahead_of(consultation).count() + 1


def _desk_key(doctor_public_hex: str) -> str:
    return f"desk-open:{doctor_public_hex}"


def desk_opened(doctor_public_hex: str) -> None:
    """One more open desk (a doctor may keep two tabs). The count expires unless pinged, so a desk that
    vanished without closing (a crashed browser, a killed server) does not keep the doctor online."""
    key = _desk_key(doctor_public_hex)
    cache.add(key, 0, timeout=PRESENCE_SECONDS)
    cache.incr(key)


def desk_pinged(doctor_public_hex: str) -> None:
    if not cache.touch(_desk_key(doctor_public_hex), timeout=PRESENCE_SECONDS):
        cache.add(_desk_key(doctor_public_hex), 1, timeout=PRESENCE_SECONDS)  # expired while open


def desk_closed(doctor_public_hex: str) -> None:
    key = _desk_key(doctor_public_hex)
    try:
        if cache.decr(key) <= 0:
            cache.delete(key)
    except ValueError:  # already expired
        pass


def doctor_status(doctor_pk: int, doctor_public_hex: str) -> str:
    """``in_consultation`` (with someone), ``online`` (at the desk) or ``away``."""
    if Consultation.objects.filter(doctor_id=doctor_pk, status=Consultation.Status.IN_PROGRESS).exists():
        return "in_consultation"
    return "online" if (cache.get(_desk_key(doctor_public_hex)) or 0) > 0 else "away"


def queue_snapshot(doctor_pk: int, doctor_public_hex: str) -> dict[str, Any]:
    """What every waiting patient's socket receives. The order travels as one comma-joined string: the
    in-memory channel layer deep-copies each event once per member, and a 1,000-item list made that
    copy the cost of a fan-out (bench/realtime.py)."""
    return {"order": ",".join(queue_order(doctor_pk)), "doctor_status": doctor_status(doctor_pk, doctor_public_hex)}


def tokens(snapshot: dict[str, Any]) -> list[str]:
    return snapshot["order"].split(",") if snapshot["order"] else []


def announce_queue(doctor_pk: int, doctor_public_hex: str, *, desk_alert: str = "") -> None:
    """Send the queue's new order to the waiting patients and tell the desk to refresh (now)."""
    realtime.publish(
        queue_group(doctor_public_hex), {"type": "queue.update", **queue_snapshot(doctor_pk, doctor_public_hex)}
    )
    realtime.publish(desk_group(doctor_public_hex), {"type": "desk.update", "alert": desk_alert})


def desk_presence_changed(doctor_pk: int, doctor_public_hex: str, present: bool) -> None:
    (desk_opened if present else desk_closed)(doctor_public_hex)
    announce_queue(doctor_pk, doctor_public_hex)


def announce_queue_on_commit(consultation: Consultation, *, desk_alert: str = "") -> None:
    doctor = consultation.doctor
    transaction.on_commit(partial(announce_queue, doctor.pk, doctor.public_id.hex, desk_alert=desk_alert))


def to_room_on_commit(consultation: Consultation, event: str, **data: Any) -> None:
    realtime.publish_on_commit(room_group(consultation.public_id.hex), {"type": "room.event", "event": event, **data})
