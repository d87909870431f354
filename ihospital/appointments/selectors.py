"""Appointment reads, each with its authorisation: a patient sees their own, a doctor their sessions'."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from ihospital.accounts.models import User
from ihospital.appointments.models import Appointment, Attachment
from ihospital.audit.services import Actor, record
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import now
from ihospital.payments.models import PaymentOrder
from ihospital.payments.selectors import payment_paid_at_provider

RELATED = ("visit_person", "schedule__doctor__user", "schedule__department", "slot", "account")
UPCOMING = (
    Appointment.Status.PENDING_PAYMENT,
    Appointment.Status.REQUESTED,
    Appointment.Status.ACCEPTED,
    Appointment.Status.WAITING,
    Appointment.Status.IN_CONSULTATION,
)


def appointments_of(account: User) -> QuerySet[Appointment]:
    return Appointment.objects.filter(account=account).select_related(*RELATED).prefetch_related("attachments")


def is_upcoming(appointment: Appointment, moment: datetime) -> bool:
    """Still ahead of the patient: a visit under way (in the waiting room or the consultation) whatever
    the clock says, an accepted one until check-in closes (a late patient may still come in), any other
    open booking until its time has passed."""
    if appointment.status not in UPCOMING:
        return False
    if appointment.status in (Appointment.Status.WAITING, Appointment.Status.IN_CONSULTATION):
        return True
    if appointment.status == Appointment.Status.ACCEPTED:
        closes = appointment.slot.starts_at + timedelta(minutes=settings.CHECK_IN_CLOSES_MINUTES_AFTER)
        return max(closes, appointment.slot.ends_at) >= moment
    return appointment.slot.ends_at >= moment


def split_upcoming_past(account: User) -> tuple[list[Appointment], list[Appointment]]:
    upcoming: list[Appointment] = []
    past: list[Appointment] = []
    moment = now()
    for appointment in appointments_of(account).order_by("slot__starts_at"):
        (upcoming if is_upcoming(appointment, moment) else past).append(appointment)
    past.reverse()
    return upcoming, past


def _get(public_id: UUID | str, **scope) -> Appointment:
    try:
        return Appointment.objects.select_related(*RELATED).get(public_id=public_id, **scope)
    except (Appointment.DoesNotExist, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None


def appointment_as_booked(appointment: Appointment) -> Appointment:
    """A booking its author just made, with what its answer shows, in one query plus the (empty)
    attachments: not an audited read, the booking's own entry records it."""
    return appointments_of(appointment.account).get(pk=appointment.pk)


def _audit_read(actor: Actor, appointment: Appointment) -> None:
    with transaction.atomic():
        record(actor=actor, action="appointment.read", target_type="appointment", target_id=str(appointment.public_id))


def access_appointment(*, user: User, public_id: UUID | str, actor: Actor) -> Appointment:
    """The patient's own appointment (someone else's is not found). Reading is audited."""
    appointment = _get(public_id, account=user)
    _audit_read(actor, appointment)
    return appointment


def paid_at_provider(appointment: Appointment) -> bool | None:
    """For a booking awaiting payment: whether the payment provider already has the payer's money
    (``payments.selectors.payment_paid_at_provider``; None: no order, or no answer). Calls the provider."""
    if appointment.payment_order_public_id is None:
        return None
    order = PaymentOrder.objects.filter(public_id=appointment.payment_order_public_id).first()
    return None if order is None else payment_paid_at_provider(order)


def awaiting_payment(*, user: User, public_id: UUID | str) -> bool:
    """Whether the patient's own booking still awaits its payment within the hold (someone else's is not
    found). Only the state is read, no personal data: not an audited read (a page asks every few seconds
    while a payment is being confirmed)."""
    appointment = _get(public_id, account=user)
    return appointment.status == Appointment.Status.PENDING_PAYMENT and appointment.hold_expires_at > now()


def access_appointment_for_doctor(*, user: User, public_id: UUID | str, actor: Actor) -> Appointment:
    """An appointment on one of the doctor's own sessions (another doctor's is not found). Audited."""
    appointment = _get(public_id, schedule__doctor__user=user)
    _audit_read(actor, appointment)
    return appointment


def review_queue(doctor: User) -> QuerySet[Appointment]:
    """Paid requests waiting for this doctor's decision, soonest session first."""
    return (
        Appointment.objects.filter(schedule__doctor__user=doctor, status=Appointment.Status.REQUESTED)
        .select_related(*RELATED)
        .prefetch_related("attachments")
        .order_by("schedule__starts_at", "slot__number")
    )


def doctor_upcoming(doctor: User) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            schedule__doctor__user=doctor, status=Appointment.Status.ACCEPTED, slot__ends_at__gte=now()
        )
        .select_related(*RELATED)
        .order_by("slot__starts_at")
    )


def access_attachment(*, user: User, public_id: UUID | str, actor: Actor) -> Attachment:
    """An attachment readable by the booking's patient or the doctor of its session; audited."""
    try:
        attachment = Attachment.objects.select_related("appointment__schedule__doctor__user").get(public_id=public_id)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None
    appointment = attachment.appointment
    if user.pk not in (appointment.account_id, appointment.schedule.doctor.user_id):
        raise DomainError(CoreError.NOT_FOUND)
    with transaction.atomic():
        record(
            actor=actor,
            action="attachment.read",
            target_type="attachment",
            target_id=str(attachment.public_id),
            details={"appointment": str(appointment.public_id)},
        )
    return attachment
