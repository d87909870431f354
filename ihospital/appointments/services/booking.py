"""Booking: take a place (held for payment), write the appointment and its payment order at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ihospital.accounts.idcard import age_on
from ihospital.accounts.models import User, VisitPerson
from ihospital.appointments.errors import AppointmentError
from ihospital.appointments.models import Appointment
from ihospital.appointments.notify import notify_doctor_awaiting_review
from ihospital.appointments.services._common import payment_order
from ihospital.appointments.services.his import his_match_enqueue, his_register_enqueue
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError, FieldErrors
from ihospital.core.time import local, now
from ihospital.payments import services as payments
from ihospital.scheduling.models import ONLINE_CATEGORIES, Schedule, Slot

PAYABLE_KIND = "registration"


@dataclass(frozen=True)
class BookingInput:
    visit_person: VisitPerson
    schedule: Schedule
    complaint: str
    prior_visit_date: date | None
    prior_hospital: str
    prior_diagnosis: str
    slot_number: int | None = None


def booking_field_problems(
    *, complaint: str, prior_visit_date: date | None, prior_hospital: str, prior_diagnosis: str
) -> dict[str, str]:
    """What is wrong with a booking's own fields, by field name (empty when nothing): the rules
    ``appointment_book`` enforces, for a form to show with its own errors, all at once."""
    problems = FieldErrors()
    if not 5 <= len((complaint or "").strip()) <= 500:
        problems.add("complaint", _("Describe your condition in 5–500 characters."))
    if prior_visit_date is None or prior_visit_date > timezone.localdate():
        problems.add("prior_visit_date", _("Give the date of your in-person diagnosis (not in the future)."))
    elif prior_visit_date < timezone.localdate() - timedelta(days=365 * 5):
        problems.add("prior_visit_date", _("Online follow-up needs an in-person diagnosis from the last 5 years."))
    if not 2 <= len((prior_hospital or "").strip()) <= 100:
        problems.add("prior_hospital", _("Name the hospital where you were diagnosed."))
    if not 2 <= len((prior_diagnosis or "").strip()) <= 200:
        problems.add("prior_diagnosis", _("Give the diagnosis you received in person."))
    return problems.errors


def _check_input(data: BookingInput) -> None:
    problems = FieldErrors(
        booking_field_problems(
            complaint=data.complaint,
            prior_visit_date=data.prior_visit_date,
            prior_hospital=data.prior_hospital,
            prior_diagnosis=data.prior_diagnosis,
        )
    )
    problems.raise_if_any(AppointmentError.INVALID)


def _check_schedule(schedule: Schedule) -> None:
    """The session as the caller just read it. Not re-read: the compare-and-set on the slot re-checks
    that the session is open, and ``_take_slot`` tells a session stopped meanwhile from a full one."""
    if schedule.category not in ONLINE_CATEGORIES:
        raise DomainError(AppointmentError.NOT_ONLINE)
    if schedule.status != Schedule.Status.OPEN:
        raise DomainError(AppointmentError.SESSION_STOPPED)
    if schedule.starts_at > now() + timedelta(days=settings.BOOKING_OPENS_DAYS_AHEAD):
        raise DomainError(AppointmentError.NOT_YET_OPEN, days=settings.BOOKING_OPENS_DAYS_AHEAD)


SOLD_OUT_SECONDS = 2  # how long a "sold out" answer may be reused without asking the database


def _sold_out_key(session_public_id) -> str:
    return f"appointments:sold_out:{session_public_id}"


def check_not_known_sold_out(session_public_id) -> None:
    """The cheapest refusal of all, before the session is even read: it was found sold out moments ago."""
    if cache.get(_sold_out_key(session_public_id)):
        raise DomainError(AppointmentError.SLOT_FULL)


def check_bookable(schedule: Schedule) -> None:
    """Cheap read-only refusal before any write (the sold-out path of a flash crowd): the session must be
    online, open, within the booking window and still have a free bookable slot. A session found sold
    out is remembered for SOLD_OUT_SECONDS, so a crowd hammering it is answered from the cache; a place
    freed meanwhile shows up at most that much later. Booking re-checks everything under the
    compare-and-set: this only spares a crowd the work a doomed attempt would do."""
    check_not_known_sold_out(schedule.public_id)
    _check_schedule(schedule)
    latest_start = now() + timedelta(minutes=settings.BOOKING_CLOSES_MINUTES_BEFORE)
    if not Slot.objects.filter(schedule=schedule, status=Slot.Status.FREE, starts_at__gte=latest_start).exists():
        if Slot.objects.filter(schedule=schedule, status=Slot.Status.FREE).exists():
            raise DomainError(AppointmentError.CLOSED, minutes=settings.BOOKING_CLOSES_MINUTES_BEFORE)
        cache.set(_sold_out_key(schedule.public_id), True, timeout=SOLD_OUT_SECONDS)
        raise DomainError(AppointmentError.SLOT_FULL)


def check_age_seen(person: VisitPerson, schedule: Schedule) -> None:
    """The department's age range (whole years on the session's date, from the birth date the resident ID
    gives; the date is the hospital's). Refuses: appointment.age_not_seen, saying the range."""
    department = schedule.department
    low, high = department.min_age_years, department.max_age_years
    if low is None and high is None:
        return
    age = age_on(person.birth_date, schedule.date)
    if (low is None or age >= low) and (high is None or age <= high):
        return
    values = {"department": department.name, "min": low, "max": high, "age": age}
    if high is None:
        reason = _("%(department)s sees patients aged %(min)d and over; this visit person is %(age)d.") % values
    elif low is None:
        reason = _("%(department)s sees patients up to %(max)d years old; this visit person is %(age)d.") % values
    else:
        reason = _("%(department)s sees patients aged %(min)d to %(max)d; this visit person is %(age)d.") % values
    raise DomainError(AppointmentError.AGE_NOT_SEEN, fields={"visit_person": reason})


def _check_no_overlap(person: VisitPerson, slot: Slot) -> None:
    """One person, one place at a time. The person's row is locked first, so two bookings for them
    racing for overlapping slots queue here and the second sees the first. Refuses: appointment.time_conflict."""
    VisitPerson.objects.select_for_update().filter(pk=person.pk).exists()
    clash = (
        Appointment.objects.filter(
            visit_person=person,
            status__in=Appointment.ACTIVE,
            slot__starts_at__lt=slot.ends_at,
            slot__ends_at__gt=slot.starts_at,
        )
        .select_related("slot")
        .first()
    )
    if clash is not None:
        when = f"{local(clash.slot.starts_at):%Y-%m-%d %H:%M}–{local(clash.slot.ends_at):%H:%M}"
        raise DomainError(AppointmentError.TIME_CONFLICT, when=when)


def _take_slot(schedule: Schedule, number: int | None) -> Slot:
    """Hold one free slot with a compare-and-set: the chosen one, or else the earliest bookable one.
    SKIP LOCKED lets a crowd of bookers each grab a different slot instead of queueing on the first.
    The slot is returned as read before the UPDATE, with its new status set: no re-read."""
    bookable = Slot.objects.filter(
        schedule=schedule, starts_at__gte=now() + timedelta(minutes=settings.BOOKING_CLOSES_MINUTES_BEFORE)
    )
    if number is not None:
        candidates = list(bookable.filter(number=number, status=Slot.Status.FREE))
    else:
        free = bookable.filter(status=Slot.Status.FREE).order_by("number").select_for_update(skip_locked=True)
        candidates = list(free[:1])  # lock only the one we take
    for slot in candidates:
        taken = Slot.objects.filter(pk=slot.pk, status=Slot.Status.FREE, schedule__status=Schedule.Status.OPEN)
        if taken.update(status=Slot.Status.HELD):
            slot.status = Slot.Status.HELD
            return slot
    if not Schedule.objects.filter(pk=schedule.pk, status=Schedule.Status.OPEN).exists():
        raise DomainError(AppointmentError.SESSION_STOPPED)  # stopped since the caller read it
    too_late = Slot.objects.filter(schedule=schedule, status=Slot.Status.FREE).exclude(pk__in=bookable)
    if too_late.exists() and not bookable.filter(status=Slot.Status.FREE).exists():
        raise DomainError(AppointmentError.CLOSED, minutes=settings.BOOKING_CLOSES_MINUTES_BEFORE)
    raise DomainError(AppointmentError.SLOT_TAKEN if number is not None else AppointmentError.SLOT_FULL)


def appointment_book(*, account: User, data: BookingInput, actor: Actor) -> Appointment:
    """Book a place in an online session for one of the account's visit persons.

    Preconditions: ``data.visit_person`` belongs to ``account`` (the caller fetched it with
    ``access_visit_person``, which need not record a read: the booking's entry names the person).
    Refuses: appointment.invalid, appointment.not_online,
    appointment.schedule_stopped, appointment.not_yet_open, appointment.booking_closed,
    appointment.slot_full / appointment.slot_taken, appointment.already_booked,
    appointment.age_not_seen (outside the department's age range), appointment.time_conflict (the
    person holds an active booking whose slot overlaps the one taken).
    Side effects (one transaction): the slot is held, the payment order and the appointment are written,
    audited (``appointment.book`` naming the visit person and the order; payments records its own
    ``payment.order_create``); after commit the hold's expiry is scheduled for BOOKING_HOLD_MINUTES later.
    """
    if data.visit_person.account_id != account.pk:
        raise DomainError(AppointmentError.INVALID, fields={"visit_person": _("Choose one of your visit persons.")})
    _check_input(data)
    assert data.prior_visit_date is not None  # _check_input refused a missing one
    _check_schedule(data.schedule)
    check_age_seen(data.visit_person, data.schedule)
    with transaction.atomic():
        slot = _take_slot(data.schedule, data.slot_number)
        _check_no_overlap(data.visit_person, slot)
        hold_expires_at = now() + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)
        free = data.schedule.fee_fen == 0
        appointment = Appointment(
            account=account,
            visit_person=data.visit_person,
            schedule=data.schedule,
            slot=slot,
            status=Appointment.Status.REQUESTED if free else Appointment.Status.PENDING_PAYMENT,
            complaint=data.complaint.strip(),
            prior_visit_date=data.prior_visit_date,
            prior_hospital=data.prior_hospital.strip(),
            prior_diagnosis=data.prior_diagnosis.strip(),
            fee_fen=data.schedule.fee_fen,
            hold_expires_at=hold_expires_at,
            paid_at=now() if free else None,
        )
        if free:
            Slot.objects.filter(pk=slot.pk).update(status=Slot.Status.BOOKED)
            slot.status = Slot.Status.BOOKED
        else:
            # The order first, for the appointment's public id chosen above: the row is then written once.
            order = payments.payment_order_create(
                payer=account,
                payable_kind=PAYABLE_KIND,
                payable_id=str(appointment.public_id),
                amount_fen=appointment.fee_fen,
                description=_("Online clinic registration"),
                expires_at=hold_expires_at,
                actor=actor,
            )
            appointment.payment_order_public_id = order.public_id
        try:
            # No savepoint: a refusal rolls the whole booking back (slot and order included).
            with transaction.atomic(savepoint=False):
                appointment.save(force_insert=True)
        except IntegrityError:
            raise DomainError(AppointmentError.ALREADY_BOOKED) from None
        record(
            actor=actor,
            action="appointment.book",
            target_type="appointment",
            target_id=str(appointment.public_id),
            details={
                "visit_person": str(data.visit_person.public_id),
                "slot": slot.number,
                "fee_fen": appointment.fee_fen,
                "payment_order": None if free else str(appointment.payment_order_public_id),
            },
        )
        if free:
            his_register_enqueue(appointment=appointment)
            notify_doctor_awaiting_review(appointment=appointment)
        else:
            his_match_enqueue(person=data.visit_person)
            from ihospital.appointments import tasks

            transaction.on_commit(
                partial(tasks.appointment_expire_hold_task.schedule, (appointment.pk,), eta=hold_expires_at)
            )
    return appointment


BACK_FROM_CASHIER = "returned"  # ?checkout= on the booking page the provider sends the payer back to


def appointment_checkout(*, appointment: Appointment, actor: Actor) -> str:
    """The provider's payment page for a booking awaiting payment (pay again after leaving the cashier).
    The payer comes back to the booking's page, marked as back from the cashier (paid or not: a payment
    is known only from the provider).

    Refuses: appointment.not_payable. Calls the payment provider: never inside a transaction.
    """
    if appointment.status != Appointment.Status.PENDING_PAYMENT or appointment.hold_expires_at <= now():
        raise DomainError(AppointmentError.NOT_PAYABLE)
    order = payment_order(appointment)
    if order is None:  # a free clinic's booking is never awaiting payment
        raise DomainError(AppointmentError.NOT_PAYABLE)
    page = reverse("appointments:detail", args=[appointment.public_id])
    back = f"{settings.PUBLIC_BASE_URL.rstrip('/')}{page}?checkout={BACK_FROM_CASHIER}"
    return payments.payment_checkout(order=order, actor=actor, return_url=back)
