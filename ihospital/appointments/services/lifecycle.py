"""Cancellation by the patient, expiry of unpaid holds, rejection of requests nobody reviewed in time,
and stopping a whole session (停诊)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ihospital.accounts.models import User
from ihospital.appointments.errors import AppointmentError
from ihospital.appointments.models import Appointment
from ihospital.appointments.notify import notify_patient
from ihospital.appointments.services._common import (
    close_unpaid_order,
    lock_payment_order,
    move,
    refund_in_full,
    release_slot,
)
from ihospital.appointments.services.review import appointment_reject
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.scheduling.models import Schedule
from ihospital.scheduling.services import schedule_mark_stopped

SYSTEM = Actor.system("appointments")


@transaction.atomic
def appointment_cancel(*, account: User, appointment: Appointment, actor: Actor) -> Appointment:
    """The patient cancels. Unpaid: the order is closed. Paid and awaiting review: full refund. Accepted:
    full refund until CANCEL_FREE_UNTIL_HOURS_BEFORE hours before the slot, refused after.

    What is refunded follows the state the compare-and-set really left, not ``appointment.status`` as
    the caller read it: a payment that lands between the read and the cancel is refunded.

    Refuses: core.not_found (not the account's), appointment.cancel_too_late, core.illegal_transition.
    """
    if appointment.account_id != account.pk:
        raise DomainError(AppointmentError.INVALID)
    lock_payment_order(appointment)
    by_patient = Appointment.PATIENT_CANCEL_TRANSITIONS
    left = move(appointment, Appointment.Status.CANCELLED, transitions=by_patient, cancelled_at=now())
    hours = settings.CANCEL_FREE_UNTIL_HOURS_BEFORE
    if left == Appointment.Status.ACCEPTED and appointment.slot.starts_at - timedelta(hours=hours) < now():
        raise DomainError(AppointmentError.CANCEL_TOO_LATE, hours=hours)  # rolls the move back
    release_slot(appointment)
    paid = left in (Appointment.Status.REQUESTED, Appointment.Status.ACCEPTED)
    if paid:
        refund_in_full(appointment, reason="cancelled by patient", actor=actor)
    else:
        close_unpaid_order(appointment, actor=actor)
    record(
        actor=actor,
        action="appointment.cancel",
        target_type="appointment",
        target_id=str(appointment.public_id),
        details={"refund": paid, "from": left},
    )
    return appointment


def appointment_expire_hold(*, appointment_pk: int) -> bool:
    """Release an unpaid hold whose time ran out. Returns False if it was paid, cancelled or not yet due."""
    with transaction.atomic():
        expired = Appointment.objects.filter(
            pk=appointment_pk, status=Appointment.Status.PENDING_PAYMENT, hold_expires_at__lte=now()
        ).update(status=Appointment.Status.EXPIRED)
        if not expired:
            return False
        appointment = Appointment.objects.select_related("slot").get(pk=appointment_pk)
        release_slot(appointment)
        close_unpaid_order(appointment, actor=SYSTEM)
        record(
            actor=SYSTEM, action="appointment.expire", target_type="appointment", target_id=str(appointment.public_id)
        )
    return True


def appointments_expire_due_holds() -> int:
    """Sweeper: expire every hold past due (catches those whose delayed task was lost)."""
    due = Appointment.objects.filter(status=Appointment.Status.PENDING_PAYMENT, hold_expires_at__lte=now())
    return sum(appointment_expire_hold(appointment_pk=pk) for pk in due.values_list("pk", flat=True))


def appointments_reject_unreviewed() -> int:
    """Requests still unreviewed when their session starts are declined and refunded automatically."""
    count = 0
    due = Appointment.objects.filter(status=Appointment.Status.REQUESTED, schedule__starts_at__lte=now())
    for appointment in due.select_related("visit_person", "account"):
        try:
            appointment_reject(
                doctor=None,
                appointment=appointment,
                actor=SYSTEM,
                reason=_("The doctor could not review your request before the session"),
            )
            count += 1
        except DomainError:
            continue  # reviewed meanwhile
    return count


@transaction.atomic
def schedule_stop(*, schedule: Schedule, reason: str, actor: Actor) -> int:
    """停诊: stop a session; every booking on it is cancelled and refunded and its patient notified.
    Returns how many bookings were cancelled. Refuses: schedule.already_stopped."""
    schedule_mark_stopped(schedule=schedule, reason=reason, actor=actor)
    cancelled = 0
    active = Appointment.objects.filter(schedule=schedule, status__in=Appointment.ACTIVE).select_related(
        "account", "visit_person"
    )
    for appointment in active:
        was_paid = appointment.status != Appointment.Status.PENDING_PAYMENT
        Appointment.objects.filter(pk=appointment.pk).update(
            status=Appointment.Status.CANCELLED, cancelled_at=now(), reject_reason=reason[:300]
        )
        release_slot(appointment)
        if was_paid:
            refund_in_full(appointment, reason=f"session stopped: {reason}", actor=actor)
        else:
            close_unpaid_order(appointment, actor=actor)
        notify_patient(
            appointment=appointment,
            event="schedule_stopped",
            text=gettext_lazy(
                "[ihospital] The online clinic on %(date)s was cancelled by the hospital (%(reason)s). "
                "Any fee paid will be refunded in full."
            ),
            params={"date": schedule.date.isoformat(), "reason": reason},
        )
        cancelled += 1
    return cancelled
