"""A lab/exam order as a payable: what payments calls when the money arrives or is refunded (inside its
transaction: database writes and outbox rows only)."""

from __future__ import annotations

from collections.abc import Collection

from ihospital.audit.services import Actor, record
from ihospital.core.time import now
from ihospital.labs import notify
from ihospital.labs.models import LabOrder
from ihospital.labs.services.his import his_charge_enqueue, his_refund_enqueue

SYSTEM = Actor.system("payments")


class LabOrderPayable:
    def on_paid(self, *, payable_id: str, order_public_id: str) -> bool:
        """ordered → paid. False when the order was cancelled (or paid already by another payment order):
        payments then refunds this payment in full."""
        moved = LabOrder.objects.filter(public_id=payable_id, status=LabOrder.Status.ORDERED).update(
            status=LabOrder.Status.PAID, paid_at=now(), payment_order_public_id=order_public_id
        )
        if not moved:
            return False
        order = LabOrder.objects.select_related("visit_person__account").get(public_id=payable_id)
        record(actor=SYSTEM, action="lab_order.paid", target_type="lab_order", target_id=payable_id)
        his_charge_enqueue(order=order, payment_order_public_id=order_public_id)
        notify.order_paid(order=order)
        return True

    def unsold(self, *, payable_ids: Collection[str]) -> set[str]:
        """Cancelled orders: nothing will be performed, money paid for them goes back."""
        found = LabOrder.objects.filter(public_id__in=list(payable_ids), status=LabOrder.Status.CANCELLED)
        return {str(public_id) for public_id in found.values_list("public_id", flat=True)}

    def on_refunded(self, *, payable_id: str, order_public_id: str, amount_fen: int, fully: bool) -> None:
        if fully:
            LabOrder.objects.filter(public_id=payable_id).update(refunded=True)
        his_refund_enqueue(order_public_id=payable_id, payment_order_public_id=order_public_id, amount_fen=amount_fen)
