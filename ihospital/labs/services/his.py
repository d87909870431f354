"""The order's life in the HIS: what is queued for it, and what the HIS's answers leave on the order.

The calls are made by the outbox handlers (``labs/handlers.py``) outside any transaction; these services
queue them (in the caller's transaction) and record their answers.

    ordered   → ``labs.his_place``   检验检查申请 (the HIS's request number kept)
    paid      → ``labs.his_charge``  收费 (the receipt number kept)
    refunded  → ``labs.his_refund``  退费 (audited with the refund's receipt number)

Each HIS write carries a transaction id derived from our ids: however often delivered, applied once.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core import outbox
from ihospital.core.time import now
from ihospital.labs.models import LabOrder

HIS = Actor.system("his")


def his_charge_enqueue(*, order: LabOrder, payment_order_public_id: str) -> None:
    """Queue the HIS charge of a paid order (inside the caller's transaction)."""
    outbox.enqueue(
        topic="labs.his_charge",
        payload={"order": str(order.public_id), "payment_order": str(payment_order_public_id)},
        idempotency_key=f"lab-his-charge:{order.public_id}",
        correlation_id=str(order.public_id),
    )


def his_refund_enqueue(*, order_public_id: str, payment_order_public_id: str, amount_fen: int) -> None:
    """Queue the HIS refund of a refund that succeeded (payments applies each once); the message's key is
    the HIS refund's transaction id."""
    outbox.enqueue(
        topic="labs.his_refund",
        payload={"order": order_public_id, "payment_order": payment_order_public_id, "amount_fen": amount_fen},
        idempotency_key=f"TF-{uuid.uuid4().hex}",
        correlation_id=order_public_id,
    )


@transaction.atomic
def lab_order_his_placed(*, order: LabOrder, request_no: str) -> None:
    """Keep the HIS's request number (申请单号) on the order (first answer wins; a redelivered write gets
    the same number from the HIS). Audited ``lab_order.his_placed``."""
    LabOrder.objects.filter(pk=order.pk, his_request_no="").update(his_request_no=request_no, his_placed_at=now())
    record(
        actor=HIS,
        action="lab_order.his_placed",
        target_type="lab_order",
        target_id=str(order.public_id),
        details={"request_no": request_no},
    )


@transaction.atomic
def lab_order_his_charged(*, order: LabOrder, receipt_no: str) -> None:
    """Keep the HIS charge's receipt number (first answer wins). Audited ``lab_order.his_charged``."""
    LabOrder.objects.filter(pk=order.pk, his_receipt_no="").update(his_receipt_no=receipt_no)
    record(
        actor=HIS,
        action="lab_order.his_charged",
        target_type="lab_order",
        target_id=str(order.public_id),
        details={"receipt_no": receipt_no},
    )


@transaction.atomic
def lab_order_his_refunded(*, order: LabOrder, refund_receipt_no: str, amount_fen: int) -> None:
    record(
        actor=HIS,
        action="lab_order.his_refunded",
        target_type="lab_order",
        target_id=str(order.public_id),
        details={"refund_receipt_no": refund_receipt_no, "amount_fen": amount_fen},
    )
