"""Writes of the roster: clinic sessions with their numbered slots, copying a week forward, stopping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.scheduling.errors import ScheduleError
from ihospital.scheduling.models import Department, DoctorProfile, Period, Schedule, Slot, SlotCategory

PERIOD_STARTS = {Period.MORNING: time(8, 0), Period.AFTERNOON: time(14, 0), Period.EVENING: time(18, 30)}
SCHEDULE_TRANSITIONS = {Schedule.Status.STOPPED: {Schedule.Status.OPEN}}


@dataclass(frozen=True)
class ScheduleInput:
    doctor: DoctorProfile
    department: Department
    date: date
    period: str
    category: str
    capacity: int
    fee_fen: int
    slot_minutes: int = 10
    starts_at_time: time | None = None


def _local_start(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(settings.TIME_ZONE))


@transaction.atomic
def schedule_create(*, data: ScheduleInput, actor: Actor) -> Schedule:
    """Create a session and its ``capacity`` numbered slots of ``slot_minutes`` each.

    Refuses: schedule.invalid (capacity 1–200, 5–60 minute slots, a period and category that exist,
    a non-negative fee), schedule.duplicate (same doctor, date, period and category).
    """
    problems = {}
    if not 1 <= data.capacity <= 200:
        problems["capacity"] = "1–200"
    if not 5 <= data.slot_minutes <= 60:
        problems["slot_minutes"] = "5–60"
    if data.period not in Period.values:
        problems["period"] = "?"
    if data.category not in SlotCategory.values:
        problems["category"] = "?"
    if data.fee_fen < 0:
        problems["fee_fen"] = "≥ 0"
    if problems:
        raise DomainError(ScheduleError.INVALID, fields=problems)
    starts_at = _local_start(data.date, data.starts_at_time or PERIOD_STARTS[Period(data.period)])
    try:
        with transaction.atomic():
            schedule = Schedule.objects.create(
                doctor=data.doctor,
                department=data.department,
                date=data.date,
                period=data.period,
                category=data.category,
                starts_at=starts_at,
                slot_minutes=data.slot_minutes,
                capacity=data.capacity,
                fee_fen=data.fee_fen,
            )
    except IntegrityError:
        raise DomainError(ScheduleError.DUPLICATE) from None
    step = timedelta(minutes=data.slot_minutes)
    Slot.objects.bulk_create(
        Slot(schedule=schedule, number=n + 1, starts_at=starts_at + n * step, ends_at=starts_at + (n + 1) * step)
        for n in range(data.capacity)
    )
    record(
        actor=actor,
        action="schedule.create",
        target_type="schedule",
        target_id=str(schedule.public_id),
        details={"category": data.category, "capacity": data.capacity},
    )
    return schedule


@transaction.atomic
def schedule_copy_week(*, week_start: date, actor: Actor, department: Department | None = None) -> int:
    """Copy every open session of the week starting ``week_start`` to the following week, with the same
    times, capacity and fee. Sessions that already exist next week are left alone. Returns how many
    were created."""
    sessions = Schedule.objects.filter(
        date__gte=week_start, date__lt=week_start + timedelta(days=7), status=Schedule.Status.OPEN
    ).select_related("doctor", "department")
    if department is not None:
        sessions = sessions.filter(department=department)
    created = 0
    for session in sessions:
        local = session.starts_at.astimezone(ZoneInfo(settings.TIME_ZONE))
        data = ScheduleInput(
            doctor=session.doctor,
            department=session.department,
            date=session.date + timedelta(days=7),
            period=session.period,
            category=session.category,
            capacity=session.capacity,
            fee_fen=session.fee_fen,
            slot_minutes=session.slot_minutes,
            starts_at_time=local.time(),
        )
        try:
            schedule_create(data=data, actor=actor)
            created += 1
        except DomainError as error:
            if error.code != ScheduleError.DUPLICATE.code:
                raise
    record(actor=actor, action="schedule.copy_week", details={"week_start": week_start.isoformat(), "created": created})
    return created


def schedule_mark_stopped(*, schedule: Schedule, reason: str, actor: Actor) -> None:
    """停诊: no more bookings. The appointments app refunds and notifies the patients booked on it."""
    transition(
        Schedule,
        pk=schedule.pk,
        to=Schedule.Status.STOPPED,
        transitions=SCHEDULE_TRANSITIONS,
        error=ScheduleError.ALREADY_STOPPED,
        stopped_reason=reason[:200],
    )
    record(
        actor=actor,
        action="schedule.stop",
        target_type="schedule",
        target_id=str(schedule.public_id),
        details={"reason": reason[:200]},
    )
