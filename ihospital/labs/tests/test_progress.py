"""performed → reported: the service the results' side calls, compare-and-set and audited."""

import pytest

from ihospital.audit.models import AuditEvent
from ihospital.audit.services import Actor
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.labs.errors import LabError
from ihospital.labs.models import LabOrder
from ihospital.labs.services import lab_order_perform, lab_order_report
from ihospital.labs.tests.test_models import make_order

HIS = Actor.system("his")


def test_a_paid_order_is_performed_then_reported_once(signed_record, in_progress):
    order = make_order(in_progress, signed_record, status=LabOrder.Status.PAID, paid_at=now())
    assert lab_order_perform(order=order, actor=HIS) == LabOrder.Status.PAID
    assert lab_order_report(order=order, actor=HIS) == LabOrder.Status.PERFORMED
    with pytest.raises(DomainError) as again:
        lab_order_report(order=order, actor=HIS)
    assert again.value.code == LabError.ILLEGAL_TRANSITION.code
    order.refresh_from_db()
    assert order.status == LabOrder.Status.REPORTED and order.performed_at and order.reported_at
    actions = list(AuditEvent.objects.filter(target_id=str(order.public_id)).values_list("action", flat=True))
    assert actions.count("lab_order.reported") == 1


def test_an_unpaid_order_cannot_be_performed_or_reported(signed_record, in_progress):
    order = make_order(in_progress, signed_record)
    for step in (lab_order_perform, lab_order_report):
        with pytest.raises(DomainError):
            step(order=order, actor=HIS)
    order.refresh_from_db()
    assert order.status == LabOrder.Status.ORDERED and order.performed_at is None
