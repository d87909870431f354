"""Booking a time for an exam (检查预约): a place in an exam session, taken by compare-and-set on
``booked < capacity`` like a clinic slot, changeable until LAB_BOOKING_CHANGE_CLOSES_HOURS_BEFORE hours before.

Every refusal changes nothing (the transaction rolls back) and is audited (``lab_order.book.refused`` …).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from ihospital.accounts.models import User
from ihospital.audit.services import Actor, record
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.state import transition
from ihospital.core.time import local, now
from ihospital.labs import notify
from ihospital.labs.errors import LabError
from ihospital.labs.models import ACTIVE_BOOKING, ExamBooking, ExamSession, LabOrder
from ihospital.labs.services._common import move, refusals_audited


def change_closes_at(session: ExamSession) -> datetime:
    return session.starts_at - timedelta(hours=settings.LAB_BOOKING_CHANGE_CLOSES_HOURS_BEFORE)


def _bookable_session(*, order: LabOrder, session_id: UUID | str) -> ExamSession:
    """The session, if it may be offered to this order now. Refuses: lab.session_unavailable."""
    try:
        session = ExamSession.objects.select_related("room").filter(public_id=session_id).first()
    except (ValidationError, ValueError, TypeError):
        session = None  # not an id at all
    today = local(now()).date()
    if (
        session is None
        or session.room.modality != order.modality
        or not session.room.active
        or session.status != ExamSession.Status.OPEN
        or session.starts_at <= now()
        or session.date > today + timedelta(days=settings.LAB_BOOKING_DAYS_AHEAD)
    ):
        raise DomainError(LabError.SESSION_UNAVAILABLE)
    return session


def _take_place(session: ExamSession) -> None:
    """One place in the session, by one conditional UPDATE. Refuses: lab.session_full."""
    taken = ExamSession.objects.filter(pk=session.pk, status=ExamSession.Status.OPEN, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    if not taken:
        raise DomainError(LabError.SESSION_FULL)


def release_place(booking: ExamBooking, *, to: str) -> None:
    """End an active booking (→ ``to``) and give its place back; nothing if it ended already."""
    transition(ExamBooking, pk=booking.pk, to=to, transitions=ExamBooking.TRANSITIONS, ended_at=now())
    ExamSession.objects.filter(pk=booking.session_id, booked__gt=0).update(booked=F("booked") - 1)


def check_owner(account: User, order: LabOrder) -> None:
    if order.visit_person.account_id != account.pk:
        raise DomainError(CoreError.NOT_FOUND)


def _check_bookable_order(order: LabOrder) -> None:
    if not order.needs_booking:
        raise DomainError(LabError.NO_BOOKING_NEEDED)
    if order.status == LabOrder.Status.ORDERED:
        raise DomainError(LabError.NOT_PAID)
    if order.status == LabOrder.Status.SCHEDULED:
        raise DomainError(LabError.ALREADY_BOOKED)


@transaction.atomic
def _book(*, order: LabOrder, session_id: UUID | str, actor: Actor) -> ExamBooking:
    _check_bookable_order(order)
    session = _bookable_session(order=order, session_id=session_id)
    move(order, LabOrder.Status.SCHEDULED)  # paid → scheduled, or a coded refusal (booked meanwhile …)
    _take_place(session)
    booking = ExamBooking.objects.create(order=order, session=session, created_at=now())
    record(
        actor=actor,
        action="lab_order.book",
        target_type="lab_order",
        target_id=str(order.public_id),
        details={"session": str(session.public_id), "room": session.room.name},
    )
    notify.booking_made(order=order, booking=booking)
    return booking


def lab_order_book(*, account: User, order: LabOrder, session_id: UUID | str, actor: Actor) -> ExamBooking:
    """Book a place for a paid exam order in session ``session_id``.

    Preconditions: ``order`` fetched with ``access_lab_order`` for ``account``.
    Refuses (nothing changed, audited): lab.no_booking_needed (lab tests), lab.not_paid, lab.already_booked
    (change it instead), lab.session_unavailable (unknown, another modality, closed, past, too far ahead),
    lab.session_full, lab.illegal_transition (cancelled, performed … meanwhile).
    Side effects: order paid → scheduled; the session's ``booked`` + 1; an ExamBooking; audit; notice.
    """
    with refusals_audited(actor=actor, action="lab_order.book", target_id=str(order.public_id)):
        check_owner(account, order)
        return _book(order=order, session_id=session_id, actor=actor)


@transaction.atomic
def _rebook(*, order: LabOrder, session_id: UUID | str, actor: Actor) -> ExamBooking:
    current = ExamBooking.objects.select_related("session").filter(order=order, status=ACTIVE_BOOKING).first()
    if order.status != LabOrder.Status.SCHEDULED or current is None:
        raise DomainError(LabError.NOT_BOOKED)
    if change_closes_at(current.session) <= now():
        raise DomainError(LabError.CHANGE_CLOSED)
    session = _bookable_session(order=order, session_id=session_id)
    if session.pk == current.session_id:
        raise DomainError(LabError.SAME_SESSION)
    release_place(current, to=ExamBooking.Status.CHANGED)
    _take_place(session)
    booking = ExamBooking.objects.create(order=order, session=session, created_at=now())
    record(
        actor=actor,
        action="lab_order.rebook",
        target_type="lab_order",
        target_id=str(order.public_id),
        details={"from": str(current.session.public_id), "to": str(session.public_id)},
    )
    notify.booking_made(order=order, booking=booking)
    return booking


def lab_order_rebook(*, account: User, order: LabOrder, session_id: UUID | str, actor: Actor) -> ExamBooking:
    """Move a booked exam to another session, until the cut-off before the booked one.

    Refuses (nothing changed, audited): lab.not_booked, lab.change_closed, lab.session_unavailable,
    lab.same_session, lab.session_full, core.illegal_transition (changed meanwhile by another request).
    Side effects: the old booking → changed and its place freed; a place taken in the new session; a new
    ExamBooking; audit; notice.
    """
    with refusals_audited(actor=actor, action="lab_order.rebook", target_id=str(order.public_id)):
        check_owner(account, order)
        return _rebook(order=order, session_id=session_id, actor=actor)
