"""Writes of the roster (clinic sessions with their numbered slots, a week at once, copying a week forward,
stopping) and of what the hospital administrator keeps in the back office: departments, doctor profiles
and doctors' fees. Every write is audited; updates record the old and the new value of what changed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from ihospital.accounts.models import Role
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError, FieldErrors
from ihospital.core.files.stored import discard
from ihospital.core.files.uploads import check_upload
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.scheduling.errors import DepartmentError, DoctorProfileError, ScheduleError
from ihospital.scheduling.models import (
    Department,
    DoctorFee,
    DoctorProfile,
    Period,
    Schedule,
    Slot,
    SlotCategory,
)

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


# --- A week of sessions at once ---------------------------------------------------------------------


@dataclass(frozen=True)
class WeekSession:
    """One session of a week: ``day`` 0 is the week's first day. ``fee_fen`` None charges the doctor's fee
    for the category (DoctorFee)."""

    day: int
    period: str
    category: str
    capacity: int
    fee_fen: int | None = None


@dataclass(frozen=True)
class WeekPlan:
    doctor: DoctorProfile
    department: Department
    week_start: date
    sessions: Sequence[WeekSession]
    slot_minutes: int = 10


def week_session_key(day: int, period: str) -> str:
    """The field name under which a refusal names one session of a week (``d0-morning``)."""
    return f"d{day}-{period}"


def _week_problems(plan: WeekPlan, fees: Mapping[str, int]) -> FieldErrors:
    problems = FieldErrors()
    if not plan.doctor.user.is_active:
        problems.add("doctor", _("This doctor's account is deactivated."))
    if not plan.doctor.departments.filter(pk=plan.department.pk).exists():
        problems.add("department", _("The doctor does not work in this department."))
    if not 5 <= plan.slot_minutes <= 60:
        problems.add("slot_minutes", _("Between 5 and 60 minutes."))
    if not plan.sessions:
        problems.add("sessions", _("Choose at least one session."))
    seen = set()
    for session in plan.sessions:
        key = week_session_key(session.day, session.period)
        if (session.day, session.period, session.category) in seen:
            problems.add(key, _("This session is listed twice."))
        seen.add((session.day, session.period, session.category))
        for problem in _session_problems(plan.week_start, session, fees):
            problems.add(key, problem)
    return problems


def _session_problems(week_start: date, session: WeekSession, fees: Mapping[str, int]) -> list[str]:
    problems = []
    if not 0 <= session.day <= 6 or session.period not in Period.values:
        problems.append(_("Choose a day of the week and a period."))
    elif _local_start(week_start + timedelta(days=session.day), PERIOD_STARTS[Period(session.period)]) < now():
        problems.append(_("This session's time has passed."))
    if session.category not in SlotCategory.values:
        problems.append(_("Choose a slot category."))
    if not 1 <= session.capacity <= 200:
        problems.append(_("Capacity is 1 to 200 patients."))
    if session.fee_fen is not None and session.fee_fen < 0:
        problems.append(_("The fee cannot be negative."))
    if session.fee_fen is None and session.category not in fees:
        problems.append(_("The doctor has no fee for this category: enter one."))
    return problems


@transaction.atomic
def schedule_create_week(*, plan: WeekPlan, actor: Actor) -> list[Schedule]:
    """Create a week of one doctor's sessions in one department at once: all of them, or none.

    Preconditions: the actor is a hospital administrator. Refuses (nothing created):
    schedule.invalid (fields ``doctor`` deactivated, ``department`` not one of the doctor's,
    ``slot_minutes`` 5–60, ``sessions`` none chosen, and per session, keyed by ``week_session_key``: a
    time already past, capacity 1–200, an unknown period or category, a negative fee, no fee given
    and none on file for the category); schedule.duplicate (sessions the doctor already has, same date,
    period and category, each named by its key — also when another request creates one meanwhile).

    Side effects: the sessions with their slots (``schedule_create``, each audited ``schedule.create``),
    and an audit entry ``schedule.create_week`` listing them.
    """
    fees = dict(DoctorFee.objects.filter(doctor=plan.doctor).values_list("category", "fee_fen"))
    _week_problems(plan, fees).raise_if_any(ScheduleError.INVALID)
    week = [plan.week_start + timedelta(days=day) for day in range(7)]
    taken = set(Schedule.objects.filter(doctor=plan.doctor, date__in=week).values_list("date", "period", "category"))
    duplicates = FieldErrors()
    for session in plan.sessions:
        if (week[session.day], session.period, session.category) in taken:
            duplicates.add(week_session_key(session.day, session.period), ScheduleError.DUPLICATE.message)
    duplicates.raise_if_any(ScheduleError.DUPLICATE)

    created = []
    for session in plan.sessions:
        data = ScheduleInput(
            doctor=plan.doctor,
            department=plan.department,
            date=week[session.day],
            period=session.period,
            category=session.category,
            capacity=session.capacity,
            fee_fen=fees[session.category] if session.fee_fen is None else session.fee_fen,
            slot_minutes=plan.slot_minutes,
        )
        try:
            created.append(schedule_create(data=data, actor=actor))
        except DomainError as error:
            if error.code != ScheduleError.DUPLICATE.code:
                raise
            key = week_session_key(session.day, session.period)
            raise DomainError(ScheduleError.DUPLICATE, fields={key: ScheduleError.DUPLICATE.message}) from None
    record(
        actor=actor,
        action="schedule.create_week",
        target_type="doctor",
        target_id=str(plan.doctor.public_id),
        details={
            "department": plan.department.code,
            "week_start": plan.week_start.isoformat(),
            "sessions": [
                [s.date.isoformat(), s.period, s.category, s.capacity, s.fee_fen, str(s.public_id)] for s in created
            ],
        },
    )
    return created


# --- Departments ------------------------------------------------------------------------------------

DEPARTMENT_FIELDS = (
    "name_zh",
    "name_en",
    "parent",
    "is_online",
    "description",
    "sort_order",
    "min_age_years",
    "max_age_years",
)
OLDEST_AGE_YEARS = 150
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class DepartmentInput:
    code: str
    name_zh: str
    name_en: str
    parent: Department | None = None
    is_online: bool = True
    description: str = ""
    sort_order: int = 0
    min_age_years: int | None = None  # the ages the department sees, in whole years; None: no limit
    max_age_years: int | None = None


def _audit_value(value: Any) -> Any:
    """How a value appears in an audit entry: departments by code, files by name, sets sorted."""
    if isinstance(value, Department):
        return value.code
    if isinstance(value, models.Model):
        return str(getattr(value, "public_id", value.pk))
    if isinstance(value, File):
        return value.name or ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(_audit_value(item) for item in value)
    return value


def check_department(*, department: Department | None, values: Mapping[str, Any]) -> dict[str, str]:
    """What ``department_create`` (``department`` None) or ``department_update`` would refuse in
    ``values``, as field → message."""
    problems = FieldErrors()
    if "code" in values and (problem := _code_problem(department, values["code"] or "")):
        problems.add("code", problem)
    for name, limit in (("name_zh", 50), ("name_en", 80)):
        if name in values and not 1 <= len((values[name] or "").strip()) <= limit:
            problems.add(name, _("1 to %(limit)d characters.") % {"limit": limit})
    if "sort_order" in values and (values["sort_order"] or 0) < 0:
        problems.add("sort_order", _("Zero or more."))
    if department is not None and _is_below(values.get("parent"), department):
        problems.add("parent", _("A department cannot sit under itself or one of its sub-departments."))
    _check_age_range(department, values, problems)
    return problems.errors


def _check_age_range(department: Department | None, values: Mapping[str, Any], problems: FieldErrors) -> None:
    ages = {}
    for name in ("min_age_years", "max_age_years"):
        ages[name] = values[name] if name in values else getattr(department, name, None)
        if name in values and values[name] is not None and not 0 <= values[name] <= OLDEST_AGE_YEARS:
            problems.add(name, _("A whole number of years from 0 to %(limit)d.") % {"limit": OLDEST_AGE_YEARS})
    low, high = ages["min_age_years"], ages["max_age_years"]
    if low is not None and high is not None and low > high and "max_age_years" not in problems.errors:
        problems.add("max_age_years", _("The maximum age cannot be below the minimum age."))


def _code_problem(department: Department | None, code: str) -> str:
    if department is not None:
        return _("The code cannot change: rules and outside systems name the department by it.")
    if not _CODE.match(code):
        return _("1–40 lower-case letters, digits, hyphens or underscores.")
    if Department.objects.filter(code=code).exists():
        return _("Another department has this code.")
    return ""


def _is_below(node: Department | None, department: Department) -> bool:
    """Whether ``node`` is ``department`` or one of its sub-departments (walking the stored tree up)."""
    node_id, seen = (node.pk if node else None), set()
    while node_id is not None and node_id not in seen:
        if node_id == department.pk:
            return True
        seen.add(node_id)
        node_id = Department.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()
    return False


@transaction.atomic
def department_create(*, data: DepartmentInput, actor: Actor) -> Department:
    """Add a department (科室) to the tree.

    Refuses (nothing written): department.invalid (code: 1–40 of a-z, 0-9, -, _ and not taken; names
    1–50 / 1–80 characters; sort order ≥ 0). Side effects: an audit entry ``department.create`` with
    every value.
    """
    values = dict(vars(data))
    problems = check_department(department=None, values=values)
    if problems:
        raise DomainError(DepartmentError.INVALID, fields=problems)
    try:
        with transaction.atomic():
            department = Department.objects.create(
                **{**values, "name_zh": data.name_zh.strip(), "name_en": data.name_en.strip()}
            )
    except IntegrityError:  # the same code, created meanwhile
        raise DomainError(DepartmentError.INVALID, fields={"code": _("Another department has this code.")}) from None
    record(
        actor=actor,
        action="department.create",
        target_type="department",
        target_id=str(department.public_id),
        details={name: _audit_value(value) for name, value in values.items()},
    )
    return department


@transaction.atomic
def department_update(*, department: Department, changes: Mapping[str, Any], actor: Actor) -> Department:
    """Change a department's names, parent, online flag, description or sort order (``changes`` maps
    some of DEPARTMENT_FIELDS to new values; the code never changes). Taking a department offline hides
    it from patients looking for a doctor; sessions already created stay as they are.

    Refuses (nothing written): department.invalid (as ``department_create``; a parent that is the
    department itself or one of its sub-departments; a change of code). Side effects: the row (locked
    while it changes); an audit entry ``department.update`` {field: [old, new]} when anything changed.
    """
    unknown = set(changes) - {*DEPARTMENT_FIELDS, "code"}
    if unknown:
        raise ValueError(f"not changeable here: {sorted(unknown)}")
    locked = Department.objects.select_for_update().get(pk=department.pk)
    problems = check_department(department=locked, values=changes)
    if problems:
        raise DomainError(DepartmentError.INVALID, fields=problems)
    diff = {name: (getattr(locked, name), new) for name, new in changes.items() if getattr(locked, name) != new}
    if diff:
        Department.objects.filter(pk=locked.pk).update(**{name: new for name, (_old, new) in diff.items()})
        record(
            actor=actor,
            action="department.update",
            target_type="department",
            target_id=str(locked.public_id),
            details={name: [_audit_value(old), _audit_value(new)] for name, (old, new) in diff.items()},
        )
    department.refresh_from_db()
    return department


# --- Doctor profiles and fees -----------------------------------------------------------------------

PROFILE_FIELDS = ("departments", "specialties", "introduction", "photo")
PHOTO_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class DoctorProfileInput:
    departments: Sequence[Department]
    specialties: str = ""
    introduction: str = ""
    photo: str = ""  # the name ``doctor_photo_store`` gave a new photo; empty: none


def doctor_photo_store(*, name: str, data: bytes | BinaryIO) -> str:
    """Check a doctor's photo by its content (re-encoded without metadata: patients see it) and store it
    under a fresh random name, for ``doctor_profile_create``/``doctor_profile_update`` to record. No
    storage I/O inside a transaction: call it before the transaction that records the photo opens, and
    ``doctor_photo_discard_unless_used`` once it has ended. Refuses: upload.* (a PDF as unsupported)."""
    checked = check_upload(name=name, data=data, max_bytes=PHOTO_MAX_BYTES, images_only=True)
    holder = DoctorProfile()
    holder.photo.save(f"{uuid.uuid4().hex}.{checked.extension}", ContentFile(checked.content), save=False)
    return holder.photo.name or ""


def doctor_photo_discard_unless_used(*, name: str) -> None:
    """Delete a photo ``doctor_photo_store`` stored unless a profile names it: call it after the
    transaction meant to record it has ended, committed or not (a refused form, a rollback)."""
    if name and not DoctorProfile.objects.filter(photo=name).exists():
        discard(DoctorProfile(photo=name).photo.storage, name)


def check_doctor_profile(*, user: Any = None, values: Mapping[str, Any]) -> dict[str, str]:
    """What ``doctor_profile_create`` (with ``user``) or ``doctor_profile_update`` would refuse."""
    problems = FieldErrors()
    if user is not None:
        if user.role != Role.DOCTOR:
            problems.add("user", _("Only doctors' accounts have a doctor profile."))
        elif DoctorProfile.objects.filter(user=user).exists():
            problems.add("user", _("This doctor already has a profile."))
    if "departments" in values and not values["departments"]:
        problems.add("departments", _("Choose at least one department."))
    if len(values.get("specialties") or "") > 200:
        problems.add("specialties", _("At most %(limit)d characters.") % {"limit": 200})
    return problems.errors


@transaction.atomic
def doctor_profile_create(*, user: Any, data: DoctorProfileInput, actor: Actor) -> DoctorProfile:
    """What patients see of a doctor: departments, specialties, introduction, photo.

    Preconditions: ``user`` is a doctor's account (created by a security administrator); ``data.photo``,
    if any, was stored by ``doctor_photo_store`` (nothing is written to storage here). Refuses
    (nothing written): doctor_profile.invalid (not a doctor, already has a profile, no department,
    specialties over 200 characters). Side effects: the profile; an audit entry
    ``doctor_profile.create`` with every value (the photo by file name).
    """
    values = {name: getattr(data, name) for name in PROFILE_FIELDS}
    problems = check_doctor_profile(user=user, values=values)
    if problems:
        raise DomainError(DoctorProfileError.INVALID, fields=problems)
    profile = DoctorProfile(user=user, specialties=data.specialties.strip(), introduction=data.introduction.strip())
    if data.photo:
        profile.photo = data.photo
    profile.save()
    profile.departments.set(data.departments)
    record(
        actor=actor,
        action="doctor_profile.create",
        target_type="doctor",
        target_id=str(profile.public_id),
        details={"user": str(user.public_id)}
        | {name: _audit_value(value) for name, value in values.items() if name != "photo"}
        | {"photo": profile.photo.name or ""},
    )
    return profile


@transaction.atomic
def doctor_profile_update(*, profile: DoctorProfile, changes: Mapping[str, Any], actor: Actor) -> DoctorProfile:
    """Change some of a doctor's departments, specialties, introduction and photo (``changes`` maps some
    of PROFILE_FIELDS to new values; the photo is a name ``doctor_photo_store`` returned, None removes
    it; nothing is written to storage here). Sessions already created keep their department.

    Refuses (nothing written): doctor_profile.invalid (no department, specialties over 200 characters).
    Side effects: the profile (locked while it changes); an audit entry ``doctor_profile.update``
    {field: [old, new]} when anything changed (departments by code, the photo by file name).
    """
    if set(changes) - set(PROFILE_FIELDS):
        raise ValueError(f"not changeable here: {sorted(set(changes) - set(PROFILE_FIELDS))}")
    problems = check_doctor_profile(values=changes)
    if problems:
        raise DomainError(DoctorProfileError.INVALID, fields=problems)
    locked = DoctorProfile.objects.select_for_update().get(pk=profile.pk)
    diff: dict[str, list[Any]] = {}
    if "departments" in changes:
        old = _audit_value(list(locked.departments.all()))
        new = _audit_value(list(changes["departments"]))
        if old != new:
            locked.departments.set(changes["departments"])
            diff["departments"] = [old, new]
    texts = {name: (changes[name] or "").strip() for name in ("specialties", "introduction") if name in changes}
    texts = {name: text for name, text in texts.items() if getattr(locked, name) != text}
    if texts:
        DoctorProfile.objects.filter(pk=locked.pk).update(**texts)
        diff |= {name: [getattr(locked, name), text] for name, text in texts.items()}
    if "photo" in changes and _photo_changes(locked.photo, changes["photo"]):
        old_name = locked.photo.name or ""
        locked.photo = changes["photo"] or None
        locked.save(update_fields=["photo"])
        diff["photo"] = [old_name, locked.photo.name or ""]
    if diff:
        record(
            actor=actor,
            action="doctor_profile.update",
            target_type="doctor",
            target_id=str(locked.public_id),
            details=diff,
        )
    profile.refresh_from_db()
    return profile


def _photo_changes(current: FieldFile, new: str | None) -> bool:
    """A new photo, or removing a photo there is; not the stored photo named again."""
    if not new:
        return bool(current)
    return new != current.name


@transaction.atomic
def doctor_fees_set(*, doctor: DoctorProfile, fees: Mapping[str, int | None], actor: Actor) -> None:
    """Set the doctor's registration fee (fen) for some slot categories; None removes one. These are the
    fees the week-schedule page charges unless the administrator enters another; a session keeps the fee
    it was created with, so a new fee never changes the price of sessions already on the roster.

    Refuses (nothing written): doctor_fee.invalid (an unknown category, a negative fee). Side effects:
    the fee rows; an audit entry ``doctor_fee.set`` {category: [old, new]} (fen; null for none) when
    anything changed.
    """
    problems = FieldErrors()
    for category, fee in fees.items():
        if category not in SlotCategory.values:
            problems.add(category, _("Choose a slot category."))
        elif fee is not None and fee < 0:
            problems.add(category, _("The fee cannot be negative."))
    problems.raise_if_any(DoctorProfileError.FEE_INVALID)
    DoctorProfile.objects.select_for_update().get(pk=doctor.pk)  # one fee table change at a time
    current = dict(DoctorFee.objects.filter(doctor=doctor).values_list("category", "fee_fen"))
    diff = {category: [current.get(category), fee] for category, fee in fees.items() if current.get(category) != fee}
    for category, (_old, fee) in diff.items():
        if fee is None:
            DoctorFee.objects.filter(doctor=doctor, category=category).delete()
        else:
            DoctorFee.objects.update_or_create(doctor=doctor, category=category, defaults={"fee_fen": fee})
    if diff:
        record(
            actor=actor, action="doctor_fee.set", target_type="doctor", target_id=str(doctor.public_id), details=diff
        )
