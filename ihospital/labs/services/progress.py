"""An order's progress at the hospital: performed (sample taken / exam done) and reported (results back)."""

from __future__ import annotations

from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.labs.errors import LabError
from ihospital.labs.models import LabOrder


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
