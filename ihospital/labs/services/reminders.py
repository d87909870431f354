"""The reminder the day before a booked exam, with its preparation (检查前提醒)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core.time import local, now
from ihospital.labs import notify
from ihospital.labs.models import ACTIVE_BOOKING, ExamBooking, LabOrder

SYSTEM = Actor.system("labs")


@transaction.atomic
def _remind(booking_pk: int) -> bool:
    if not ExamBooking.objects.filter(pk=booking_pk, status=ACTIVE_BOOKING, reminded_at__isnull=True).update(
        reminded_at=now()
    ):
        return False  # reminded by another worker, changed or cancelled meanwhile
    booking = ExamBooking.objects.select_related("session__room", "order__visit_person__account").get(pk=booking_pk)
    notify.booking_reminder(order=booking.order, booking=booking)
    record(
        actor=SYSTEM,
        action="lab_order.reminded",
        target_type="lab_order",
        target_id=str(booking.order.public_id),
        details={"booking": str(booking.public_id)},
    )
    return True


def lab_bookings_remind_due() -> int:
    """Remind every booking of tomorrow (hospital-local) not reminded yet, once LAB_REMINDER_LOCAL_HOUR has
    come today. Each booking once (compare-and-set on an empty ``reminded_at``): message centre + SMS with
    the preparation and the check-in code; audited ``lab_order.reminded``. Returns how many were sent."""
    today = local(now())
    if today.hour < settings.LAB_REMINDER_LOCAL_HOUR:
        return 0
    due = ExamBooking.objects.filter(
        status=ACTIVE_BOOKING,
        reminded_at__isnull=True,
        session__date=today.date() + timedelta(days=1),
        order__status=LabOrder.Status.SCHEDULED,
    )
    return sum(_remind(pk) for pk in due.values_list("pk", flat=True))
