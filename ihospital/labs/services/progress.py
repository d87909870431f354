"""An order's progress at the hospital: checked in (报到), performed (sample taken / exam done), reported
(results back)."""

from __future__ import annotations

from django.db import transaction

from ihospital.accounts.models import User
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import local, now
from ihospital.labs.errors import LabError
from ihospital.labs.models import ACTIVE_BOOKING, ExamBooking, LabOrder
from ihospital.labs.services._common import refusals_audited


@transaction.atomic
def lab_order_perform(*, order: LabOrder, actor: Actor) -> str:
    """paid|scheduled → performed: the sample was taken or the exam done. Returns the state moved from.

    Refuses: lab.illegal_transition (not paid, already performed, cancelled …), nothing changed.
    Side effects: performed_at; an audit entry.
    """
    moment = now()
    moved_from = transition(
        LabOrder,
        pk=order.pk,
        to=LabOrder.Status.PERFORMED,
        transitions=LabOrder.TRANSITIONS,
        error=LabError.ILLEGAL_TRANSITION,
        performed_at=moment,
    )
    order.status, order.performed_at = LabOrder.Status.PERFORMED, moment
    record(
        actor=actor,
        action="lab_order.performed",
        target_type="lab_order",
        target_id=str(order.public_id),
        details={"from": moved_from},
    )
    return moved_from


@transaction.atomic
def lab_order_report(*, order: LabOrder, actor: Actor) -> str:
    """performed → reported: the order's results or report arrived (called by the results' service, in
    its transaction, once per order). Returns the state moved from.

    Refuses: lab.illegal_transition (not performed yet, already reported, cancelled), nothing changed.
    A result for an order still paid/scheduled is performed first (``lab_order_perform``), then reported.
    Side effects: reported_at; an audit entry.
    """
    moment = now()
    moved_from = transition(
        LabOrder,
        pk=order.pk,
        to=LabOrder.Status.REPORTED,
        transitions=LabOrder.TRANSITIONS,
        error=LabError.ILLEGAL_TRANSITION,
        reported_at=moment,
    )
    order.status, order.reported_at = LabOrder.Status.REPORTED, moment
    record(
        actor=actor,
        action="lab_order.reported",
        target_type="lab_order",
        target_id=str(order.public_id),
        details={"from": moved_from},
    )
    return moved_from


def _checkin_order(code: str) -> LabOrder | None:
    code = "".join(code.split()).upper()[:12]
    return LabOrder.objects.select_related("visit_person").filter(checkin_code=code).first() if code else None


@transaction.atomic
def _check_in(*, staff: User, order: LabOrder, actor: Actor) -> LabOrder:
    if order.status == LabOrder.Status.ORDERED:
        raise DomainError(LabError.NOT_PAID)
    if order.status not in (LabOrder.Status.PAID, LabOrder.Status.SCHEDULED):
        raise DomainError(LabError.ILLEGAL_TRANSITION, current=order.get_status_display())
    booking = ExamBooking.objects.select_related("session").filter(order=order, status=ACTIVE_BOOKING).first()
    today = local(now()).date()
    if booking is not None and booking.session.date != today:
        raise DomainError(LabError.NOT_TODAY, date=booking.session.date.isoformat())
    if order.needs_booking and booking is None:
        raise DomainError(LabError.NOT_BOOKED)
    checked = LabOrder.objects.filter(
        pk=order.pk, checked_in_at__isnull=True, status__in=[LabOrder.Status.PAID, LabOrder.Status.SCHEDULED]
    ).update(checked_in_at=now(), checked_in_by=staff)
    if not checked:
        raise DomainError(LabError.ALREADY_CHECKED_IN)
    order.refresh_from_db()
    record(actor=actor, action="lab_order.check_in", target_type="lab_order", target_id=str(order.public_id))
    return order


def lab_order_check_in(*, staff: User, code: str, actor: Actor) -> LabOrder:
    """At the hospital, a nurse scans or types the patient's check-in code (报到).

    Preconditions: ``staff`` is a nurse (the page's guard).
    Refuses (nothing changed, audited): lab.unknown_checkin_code, lab.not_paid, lab.not_booked (an exam
    without a booked time), lab.not_today (booked another day), lab.already_checked_in,
    lab.illegal_transition (performed, reported, cancelled).
    Side effects: checked_in_at/by (once: compare-and-set on an empty checked_in_at); audit.
    """
    order = _checkin_order(code)
    target = str(order.public_id) if order else ""
    with refusals_audited(actor=actor, action="lab_order.check_in", target_id=target):
        if order is None:
            raise DomainError(LabError.UNKNOWN_CHECKIN_CODE)
        return _check_in(staff=staff, order=order, actor=actor)
