"""Reminders to enter the waiting room, CONSULTATION_REMINDER_MINUTES before the slot (30 and 5 by
default), in the app (live banner and message centre) and by SMS. Once each: a unique Reminder row
per offset, written in the same transaction as the message, so a restarted worker sends nothing twice."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from ihospital.appointments.models import Appointment
from ihospital.consultations.models import Reminder
from ihospital.core.i18n import Phrase
from ihospital.core.time import now
from ihospital.notifications.services import notification_send


def _due_offset(starts_at, moment) -> int | None:
    """The most urgent offset already reached; an earlier one missed while the worker was down is
    skipped rather than sent late beside it."""
    reached = [m for m in settings.CONSULTATION_REMINDER_MINUTES if starts_at - timedelta(minutes=m) <= moment]
    return min(reached) if reached else None


def reminders_send_due() -> int:
    """Send every reminder that is due now. Only accepted bookings not yet checked in are reminded:
    cancelled, declined or expired ones never are. Returns how many were sent."""
    moment = now()
    horizon = moment + timedelta(minutes=max(settings.CONSULTATION_REMINDER_MINUTES, default=0))
    candidates = (
        Appointment.objects.filter(
            status=Appointment.Status.ACCEPTED, slot__starts_at__gt=moment, slot__starts_at__lte=horizon
        )
        .select_related("slot", "account", "visit_person", "schedule__doctor__user")
        .order_by("slot__starts_at")
    )
    sent = 0
    for appointment in candidates:
        offset = _due_offset(appointment.slot.starts_at, moment)
        if offset is not None and not appointment.reminders.filter(minutes_before__lte=offset).exists():
            sent += reminder_send(appointment=appointment, minutes_before=offset)
    return sent


@transaction.atomic
def reminder_send(*, appointment: Appointment, minutes_before: int) -> bool:
    """One reminder, at most once per appointment and offset. Returns whether it was sent now."""
    try:
        with transaction.atomic():
            Reminder.objects.create(appointment=appointment, minutes_before=minutes_before, sent_at=now())
    except IntegrityError:
        return False
    starts = timezone.localtime(appointment.slot.starts_at).strftime("%H:%M")
    values = {
        "name": appointment.visit_person.name,
        "doctor": appointment.schedule.doctor.user.display_name,
        "time": starts,
    }
    notification_send(
        user=appointment.account,
        kind="consultation.reminder",
        title=Phrase(gettext_noop("Your online consultation starts at %(time)s"), params=values),
        body=Phrase(
            gettext_noop(
                "%(name)s's video consultation with Dr %(doctor)s starts at %(time)s. Enter the waiting room now."
            ),
            params=values,
        ),
        link=reverse("consultations:waiting_room", args=[appointment.public_id]),
        dedupe_key=f"reminder:{appointment.public_id}:{minutes_before}",
        sms_text=Phrase(
            gettext_noop(
                "[ihospital] %(name)s: online consultation with Dr %(doctor)s at %(time)s. Open the app to enter."
            ),
            params=values,
        ),
    )
    return True
