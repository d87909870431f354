"""停诊: the hospital stops a doctor's schedule. Here, in the app above every state a booking can be in,
because stopping ends waiting rooms as well as refunding bookings."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_noop

from ihospital.appointments.models import Appointment
from ihospital.appointments.services import appointment_cancel_by_hospital
from ihospital.audit.services import Actor, record
from ihospital.consultations import events
from ihospital.consultations.models import Consultation
from ihospital.consultations.services._common import move
from ihospital.core.errors import DomainError
from ihospital.core.i18n import Phrase
from ihospital.core.time import now
from ihospital.notifications.services import notification_send
from ihospital.scheduling.models import Schedule
from ihospital.scheduling.services import schedule_mark_stopped


@dataclass(frozen=True)
class ScheduleStopped:
    cancelled: int  # bookings cancelled (paid ones refunded in full), waiting patients included
    in_consultation: int  # visits already in the room, left to finish


@transaction.atomic
def schedule_stop(*, schedule: Schedule, reason: str, actor: Actor) -> ScheduleStopped:
    """Stop ``schedule``: no more bookings, and every booking on it goes through its declared transitions.

    - awaiting payment, paid, accepted: cancelled, refunded (or the order closed), the patient told;
    - waiting, being called or missed the call: the same, and the waiting room ends (``cancelled``);
    - in consultation: left to finish; the doctor is told;
    - ended bookings are left alone.
    Each booking is decided from the state its compare-and-set really left, so a patient who answers the
    call or pays at this very moment is handled by what actually happened. The doctor gets one message.

    Refuses: schedule.already_stopped.
    """
    schedule_mark_stopped(schedule=schedule, reason=reason, actor=actor)
    cancelled = in_consultation = 0
    bookings = Appointment.objects.filter(schedule=schedule, status__in=Appointment.ACTIVE).select_related(
        "account", "visit_person", "schedule", "slot"
    )
    for appointment in bookings.order_by("pk"):
        if _stop_one(appointment, reason=reason, actor=actor):
            cancelled += 1
        elif Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.IN_CONSULTATION).exists():
            in_consultation += 1
    outcome = ScheduleStopped(cancelled=cancelled, in_consultation=in_consultation)
    _tell_the_doctor(schedule, reason, outcome)
    return outcome


def _stop_one(appointment: Appointment, *, reason: str, actor: Actor) -> bool:
    """Cancel one booking; False if it is in the room or ended meanwhile (nothing changed)."""
    # Lock order of everyone else: payment order, then consultation (answering a call locks it before
    # the booking), then booking. The booking's service takes the order's lock itself, first.
    consultation = Consultation.objects.select_for_update().filter(appointment=appointment).first()
    try:
        with transaction.atomic():
            left = appointment_cancel_by_hospital(appointment=appointment, reason=reason, actor=actor)
            if left == Appointment.Status.WAITING:
                consultation = consultation or Consultation.objects.get(appointment=appointment)
                move(consultation, Consultation.Status.CANCELLED, ended_at=now())
                record(
                    actor=actor,
                    action="consultation.cancelled",
                    target_type="consultation",
                    target_id=str(consultation.public_id),
                    details={"reason": reason},
                )
                events.to_room_on_commit(consultation, "ended", outcome=Consultation.Status.CANCELLED, reason=reason)
                events.announce_queue_on_commit(consultation)
    except DomainError:  # called in, or ended, since it was read
        return False
    return True


def _tell_the_doctor(schedule: Schedule, reason: str, outcome: ScheduleStopped) -> None:
    """One message, shown to the doctor in the language they read in."""
    values = {
        "date": schedule.date.isoformat(),
        "period": Phrase.choice(schedule, "period"),
        "reason": reason,
        "cancelled": outcome.cancelled,
        "in_room": outcome.in_consultation,
    }
    body = [
        Phrase(
            "%(date)s %(period)s was stopped (%(reason)s): %(cancelled)d booking cancelled and refunded.",
            plural="%(date)s %(period)s was stopped (%(reason)s): %(cancelled)d bookings cancelled and refunded.",
            count=outcome.cancelled,
            params=values,
        )
    ]
    if outcome.in_consultation:
        body.append(
            Phrase(
                "%(in_room)d visit already in the room may finish.",
                plural="%(in_room)d visits already in the room may finish.",
                count=outcome.in_consultation,
                params={"in_room": outcome.in_consultation},
            )
        )
    notification_send(
        user=schedule.doctor.user,
        kind="schedule.stopped",
        title=Phrase(gettext_noop("Your online clinic was stopped")),
        body=body,
        dedupe_key=f"schedule:{schedule.public_id}:stopped",
    )
