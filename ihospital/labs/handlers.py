"""Outbox handlers: the order's HIS writes (see ``services/his.py``). Each runs outside any transaction,
calls the HIS through the configured client (the gateway) under a transaction id the HIS de-duplicates on,
then records the answer through a service. An ``HisError`` propagates: transient ones are retried by the
outbox with backoff, permanent ones park the message for an administrator."""

from __future__ import annotations

from typing import Any

from ihospital.appointments.handlers import his_patient_id
from ihospital.integrations import his
from ihospital.integrations.his import base
from ihospital.labs.models import LabOrder
from ihospital.labs.services.his import lab_order_his_charged, lab_order_his_placed, lab_order_his_refunded
from ihospital.payments.models import PaymentOrder

ITEM_NAMES = {LabOrder.Kind.LAB: "检验费", LabOrder.Kind.EXAM: "检查费"}


def _order(public_id: str) -> LabOrder:
    return LabOrder.objects.select_related("visit_person", "doctor").get(public_id=public_id)


def place_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    order = _order(payload["order"])
    placed = his.client().place_exam_order(
        base.ExamOrderRequest(
            transaction_id=f"SQ-{order.public_id}",
            patient_id=his_patient_id(order.visit_person),
            doctor_code=order.doctor.username,
            item_codes=tuple(order.items.values_list("code", flat=True)),
            clinical_note=f"{order.diagnosis_code} {order.diagnosis_name}；{order.clinical_question}"[:500],
            reference=str(order.public_id),
        )
    )
    lab_order_his_placed(order=order, request_no=placed.request_no)


def charge_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    order = _order(payload["order"])
    if not order.his_request_no:
        raise his.HisError("the order is not placed in the HIS yet", code=his.HisError.UNAVAILABLE)
    payment = PaymentOrder.objects.get(public_id=payload["payment_order"])
    receipt = his.client().charge(
        base.ChargeRequest(
            transaction_id=f"SF-{payment.public_id}",
            patient_id=his_patient_id(order.visit_person),
            amount_fen=payment.amount_fen,
            channel=payment.provider,
            trade_no=payment.provider_txn_id,
            item=ITEM_NAMES[LabOrder.Kind(order.kind)],
            reference=str(payment.public_id),
        )
    )
    lab_order_his_charged(order=order, receipt_no=receipt.receipt_no)


def refund_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    order = _order(payload["order"])
    if order.paid_at is None:
        return  # a late payment refunded in full: it never reached the HIS
    if not order.his_receipt_no:
        raise his.HisError("the charge is not written to the HIS yet", code=his.HisError.UNAVAILABLE)
    refund = his.client().refund(
        base.RefundRequest(
            transaction_id=idempotency_key,
            receipt_no=order.his_receipt_no,
            amount_fen=payload["amount_fen"],
            reason="online lab/exam order refunded",
            reference=payload["payment_order"],
        )
    )
    lab_order_his_refunded(order=order, refund_receipt_no=refund.receipt_no, amount_fen=payload["amount_fen"])
