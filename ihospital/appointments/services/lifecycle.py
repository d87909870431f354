"""Cancellation by the patient or by the hospital (one booking of a stopped schedule, 停诊), expiry of
unpaid holds, rejection of requests nobody reviewed in time."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

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
def appointment_cancel_by_hospital(*, appointment: Appointment, reason: str, actor: Actor) -> str:
    """The hospital cancels one booking of a stopped schedule (停诊); return the state it really left.

    Allowed from pending_payment, requested, accepted and waiting (the caller ends a waiting patient's
    consultation in the same transaction). Side effects follow the state left, not an earlier read: paid
    states are refunded in full, an unpaid order is closed (a payment landing later is refunded as late),
    the slot is freed, the patient is told, an ``appointment.cancel_by_hospital`` audit entry is written.
    Takes the payment order's lock first (the lock order of payment notifications).

    Refuses: core.illegal_transition (in consultation, ended, or already cancelled).
    """
    lock_payment_order(appointment)
    left = move(appointment, Appointment.Status.CANCELLED, cancelled_at=now(), reject_reason=reason[:300])
    release_slot(appointment)
    paid = left != Appointment.Status.PENDING_PAYMENT
    if paid:
        refund_in_full(appointment, reason=f"schedule stopped: {reason}", actor=actor)
    else:
        close_unpaid_order(appointment, actor=actor)
    schedule = appointment.schedule
    notify_patient(
        appointment=appointment,
        event="schedule_stopped",
        text=gettext_noop(
            "[ihospital] The online clinic on %(date)s was cancelled by the hospital (%(reason)s). "
            "Any fee paid will be refunded in full."
        ),
        params={"date": schedule.date.isoformat(), "reason": reason},
    )
    record(
        actor=actor,
        action="appointment.cancel_by_hospital",
        target_type="appointment",
        target_id=str(appointment.public_id),
        details={"from": left, "refund": paid, "reason": reason},
    )
    return left
