"""The doctor's review of a paid request: accept (confirming the prior in-person diagnosis) or decline."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ihospital.accounts.models import User
from ihospital.appointments.errors import AppointmentError
from ihospital.appointments.models import Appointment
from ihospital.appointments.notify import notify_patient
from ihospital.appointments.services._common import lock_payment_order, move, refund_in_full, release_slot
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.time import now


@transaction.atomic
def appointment_accept(
    *, doctor: User, appointment: Appointment, prior_diagnosis_confirmed: bool, actor: Actor
) -> Appointment:
    """Accept a paid request. The doctor must confirm the prior in-person diagnosis (follow-up-only rule).

    Preconditions: the caller fetched the appointment with ``access_appointment_for_doctor``.
    Refuses: appointment.invalid (diagnosis not confirmed), core.illegal_transition (not ``requested``).
    Side effects: audited; the patient is notified.
    """
    if not prior_diagnosis_confirmed:
        raise DomainError(
            AppointmentError.INVALID,
            fields={
                "prior_diagnosis_confirmed": _(
                    "Confirm the in-person diagnosis, or decline and advise an in-person visit."
                )
            },
        )
    move(
        appointment, Appointment.Status.ACCEPTED, reviewed_by=doctor, reviewed_at=now(), prior_diagnosis_confirmed=True
    )
    record(actor=actor, action="appointment.accept", target_type="appointment", target_id=str(appointment.public_id))
    notify_patient(
        appointment=appointment,
        event="accepted",
        text=gettext_noop(
            "[ihospital] Your online clinic booking for %(name)s was accepted. You will be reminded before it starts."
        ),
        params={"name": appointment.visit_person.name},
    )
    return appointment


@transaction.atomic
def appointment_reject(*, doctor: User | None, appointment: Appointment, reason: str, actor: Actor) -> Appointment:
    """Decline a paid request with a reason; the fee is refunded in full and the place returns.

    Refuses: appointment.invalid (no reason), core.illegal_transition (not ``requested``).
    Side effects: refund requested (asynchronous), slot freed, audited, patient notified.
    """
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 300:
        raise DomainError(
            AppointmentError.INVALID, fields={"reason": _("Give the patient a reason (2–300 characters).")}
        )
    lock_payment_order(appointment)  # the lock order of payment notifications: order, then booking
    move(appointment, Appointment.Status.REJECTED, reviewed_by=doctor, reviewed_at=now(), reject_reason=reason)
    release_slot(appointment)
    refund_in_full(appointment, reason=f"rejected: {reason}", actor=actor)
    record(
        actor=actor,
        action="appointment.reject",
        target_type="appointment",
        target_id=str(appointment.public_id),
        details={"reason": reason},
    )
    notify_patient(
        appointment=appointment,
        event="rejected",
        text=gettext_noop(
            "[ihospital] Your online clinic booking was declined: %(reason)s. The fee will be refunded in full."
        ),
        params={"reason": reason},
    )
    return appointment
