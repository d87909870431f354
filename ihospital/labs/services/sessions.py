"""Exam rooms and their sessions, managed by the hospital administrator (back office); every write audited.

A session's capacity never goes below what is booked (one conditional UPDATE); closing a session stops
new bookings and keeps those made; nothing is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.time import local, now
from ihospital.labs.errors import LabError
from ihospital.labs.models import ExamRoom, ExamSession

MAX_CAPACITY = 500


@dataclass(frozen=True)
class RoomInput:
    name: str
    modality: str
    department: str
    place: str


def _audit(actor: Actor, action: str, target_type: str, target_id: str, **details: object) -> None:
    record(actor=actor, action=action, target_type=target_type, target_id=target_id, details=details)


@transaction.atomic
def exam_room_create(*, data: RoomInput, actor: Actor) -> ExamRoom:
    """A room or device (检查室/设备). Refuses: lab.room_invalid (a field empty or too long, name taken)."""
    values = {name: str(getattr(data, name)).strip() for name in ("name", "modality", "department", "place")}
    limits = {"name": 60, "modality": 10, "department": 40, "place": 100}
    if any(not values[name] or len(values[name]) > limit for name, limit in limits.items()):
        raise DomainError(LabError.ROOM_INVALID)
    try:
        with transaction.atomic():
            room = ExamRoom.objects.create(**values)
    except IntegrityError:
        raise DomainError(LabError.ROOM_INVALID) from None
    _audit(actor, "exam_room.create", "exam_room", str(room.public_id), **values)
    return room


def check_session(*, starts_at: datetime, ends_at: datetime, capacity: int) -> None:
    """Refuses: lab.session_invalid (see ``exam_session_create``)."""
    if ends_at <= starts_at or starts_at <= now() or not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(LabError.SESSION_INVALID)
    if ends_at - starts_at > timedelta(hours=12):
        raise DomainError(LabError.SESSION_INVALID)


@transaction.atomic
def exam_session_create(
    *, room: ExamRoom, starts_at: datetime, ends_at: datetime, capacity: int, actor: Actor
) -> ExamSession:
    """A bookable period of ``room``. Refuses: lab.session_invalid (ends before it starts, in the past,
    longer than 12 hours, capacity outside 1–500, the room already has a session starting then)."""
    check_session(starts_at=starts_at, ends_at=ends_at, capacity=capacity)
    try:
        with transaction.atomic():
            session = ExamSession.objects.create(
                room=room, date=local(starts_at).date(), starts_at=starts_at, ends_at=ends_at, capacity=capacity
            )
    except IntegrityError:
        raise DomainError(LabError.SESSION_INVALID) from None
    _audit(
        actor,
        "exam_session.create",
        "exam_session",
        str(session.public_id),
        room=room.name,
        starts_at=starts_at.isoformat(),
        capacity=capacity,
    )
    return session


@transaction.atomic
def exam_session_set_capacity(*, session: ExamSession, capacity: int, actor: Actor) -> ExamSession:
    """Change the capacity, never below the places booked (checked in the same UPDATE).
    Refuses: lab.session_invalid (outside 1–500), lab.capacity_below_booked."""
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(LabError.SESSION_INVALID)
    if not ExamSession.objects.filter(pk=session.pk, booked__lte=capacity).update(capacity=capacity):
        booked = ExamSession.objects.filter(pk=session.pk).values_list("booked", flat=True).first()
        raise DomainError(LabError.CAPACITY_BELOW_BOOKED, booked=booked)
    _audit(actor, "exam_session.capacity", "exam_session", str(session.public_id), capacity=capacity)
    session.refresh_from_db()
    return session


@transaction.atomic
def exam_session_set_open(*, session: ExamSession, is_open: bool, actor: Actor) -> ExamSession:
    """Close a session to new bookings (those made stay) or open it again. Audited."""
    status = ExamSession.Status.OPEN if is_open else ExamSession.Status.CLOSED
    ExamSession.objects.filter(pk=session.pk).update(status=status)
    _audit(actor, "exam_session.status", "exam_session", str(session.public_id), status=status)
    session.refresh_from_db()
    return session


@dataclass(frozen=True)
class Timetable:
    """Sessions to create for a room: each day from ``first_day`` for ``days`` days (weekends skipped unless
    ``weekends``), at each (start, end) hospital-local time, with ``capacity`` places each."""

    first_day: date
    days: int
    times: tuple[tuple[time, time], ...]
    capacity: int
    weekends: bool = False


def exam_sessions_generate(*, room: ExamRoom, timetable: Timetable, actor: Actor) -> int:
    """Create the timetable's sessions of ``room``; those that exist already (same start) or have started
    are left as they are. Returns how many were created. Each creation audited."""
    created = 0
    zone = local(now()).tzinfo
    for offset in range(timetable.days):
        day = timetable.first_day + timedelta(days=offset)
        if day.weekday() >= 5 and not timetable.weekends:
            continue
        for start, end in timetable.times:
            starts_at = datetime.combine(day, start, tzinfo=zone)
            if starts_at <= now() or ExamSession.objects.filter(room=room, starts_at=starts_at).exists():
                continue
            ends_at = datetime.combine(day, end, tzinfo=zone)
            exam_session_create(
                room=room, starts_at=starts_at, ends_at=ends_at, capacity=timetable.capacity, actor=actor
            )
            created += 1
    return created
