"""Reads for finding a doctor: online departments, doctors with their next free slot, a doctor's week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Min, Prefetch, Q, QuerySet

from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import now
from ihospital.scheduling.models import ONLINE_CATEGORIES, Department, DoctorProfile, Schedule, Slot


def bookable_window():
    """Slots can be booked from BOOKING_OPENS_DAYS_AHEAD days before until BOOKING_CLOSES_MINUTES_BEFORE."""
    moment = now()
    return (
        moment + timedelta(minutes=settings.BOOKING_CLOSES_MINUTES_BEFORE),
        moment + timedelta(days=settings.BOOKING_OPENS_DAYS_AHEAD),
    )


def online_schedules() -> QuerySet[Schedule]:
    """Open sessions of online categories. On-site slots never leave this function."""
    return Schedule.objects.filter(status=Schedule.Status.OPEN, category__in=ONLINE_CATEGORIES)


def department_list() -> QuerySet[Department]:
    return Department.objects.filter(is_online=True).select_related("parent")


def access_department(public_id: UUID | str) -> Department:
    try:
        return Department.objects.get(public_id=public_id, is_online=True)
    except (Department.DoesNotExist, ValueError):
        raise DomainError(CoreError.NOT_FOUND) from None


def free_slots() -> QuerySet[Slot]:
    start, end = bookable_window()
    return Slot.objects.filter(
        status=Slot.Status.FREE,
        starts_at__gte=start,
        starts_at__lte=end,
        schedule__in=online_schedules(),
    )


@dataclass(frozen=True)
class DoctorCard:
    doctor: DoctorProfile
    next_free_at: object  # datetime | None
    free_count: int


def doctors_in_department(department: Department) -> list[DoctorCard]:
    """Doctors of a department with their next free online slot (those with one first)."""
    slots = free_slots().filter(schedule__department=department)
    doctors = (
        DoctorProfile.objects.filter(departments=department, user__is_active=True)
        .select_related("user")
        .annotate(
            next_free_at=Min("schedules__slots__starts_at", filter=Q(schedules__slots__in=slots)),
            free_count=Count("schedules__slots", filter=Q(schedules__slots__in=slots)),
        )
    )
    cards = [DoctorCard(d, d.next_free_at, d.free_count) for d in doctors]
    return sorted(cards, key=lambda c: (c.next_free_at is None, c.next_free_at or 0, c.doctor.user.full_name))


def access_doctor(public_id: UUID | str) -> DoctorProfile:
    try:
        return DoctorProfile.objects.select_related("user").get(public_id=public_id, user__is_active=True)
    except (DoctorProfile.DoesNotExist, ValueError):
        raise DomainError(CoreError.NOT_FOUND) from None


def doctor_schedules(doctor: DoctorProfile, *, days: int = 7) -> list[Schedule]:
    """The doctor's online sessions in the next ``days`` days, each with its free slots prefetched."""
    start, end = bookable_window()
    return list(
        online_schedules()
        .filter(doctor=doctor, starts_at__lt=min(end, now() + timedelta(days=days)))
        .select_related("department")
        .prefetch_related(Prefetch("slots", queryset=free_slots().order_by("number"), to_attr="free"))
        .filter(slots__ends_at__gte=start)
        .distinct()
    )


def access_online_schedule(public_id: UUID | str) -> Schedule:
    """A session offered online (an on-site session's id is not found here)."""
    try:
        # No joins: the booking path needs only the session's own columns (a crowd hits it hardest);
        # pages that show the doctor load him when they use him.
        return Schedule.objects.get(public_id=public_id, category__in=ONLINE_CATEGORIES)
    except (Schedule.DoesNotExist, ValueError):
        raise DomainError(CoreError.NOT_FOUND) from None


# --- The hospital administrator's roster page ------------------------------------------------------


def rostered_doctors() -> QuerySet[DoctorProfile]:
    """Doctors who can be given sessions: active accounts with a profile, by name, with their departments
    and fees."""
    return (
        DoctorProfile.objects.filter(user__is_active=True)
        .select_related("user")
        .prefetch_related("departments", "fees")
        .order_by("user__full_name", "user__username")
    )


def doctor_fees(doctor: DoctorProfile) -> dict[str, int]:
    """The doctor's fee (fen) per slot category, for the categories that have one."""
    return {fee.category: fee.fee_fen for fee in doctor.fees.all()}
