"""Outbox handlers of fulfilment, run outside any transaction: placing a shipment with the courier, sending a
paid prescription to the HIS pharmacy and cancelling it there. A ``CourierError`` or ``HisError`` propagates:
transient ones are retried with backoff, permanent ones park the message for an administrator."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from ihospital.appointments.handlers import his_patient_id
from ihospital.core.models import OutboxMessage
from ihospital.core.outbox import DeliveryError
from ihospital.fulfilment.models import Fulfilment, Shipment
from ihospital.fulfilment.services import prescription_his_transferred, shipment_created
from ihospital.integrations import his
from ihospital.integrations.courier import courier
from ihospital.integrations.courier.base import Address, ShipmentRequest
from ihospital.integrations.his import base
from ihospital.payments.selectors import payment_order_for_payable
from ihospital.prescriptions.models import Prescription
from ihospital.prescriptions.selectors import released_version


def callback_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("fulfilment:courier_callback")


def ship_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    shipment = Shipment.objects.get(public_id=payload["shipment"])
    if shipment.status != Shipment.Status.PLACING:
        return  # placed already (a redelivered message)
    provider = courier()
    placed = provider.create_shipment(
        ShipmentRequest(
            order_no=shipment.order_no,
            sender=Address(
                name=settings.FULFILMENT_SENDER_NAME,
                phone=settings.FULFILMENT_SENDER_PHONE,
                region=settings.FULFILMENT_SENDER_REGION,
                detail=settings.FULFILMENT_SENDER_ADDRESS,
            ),
            recipient=Address(
                name=shipment.recipient, phone=shipment.phone, region=shipment.region, detail=shipment.detail
            ),
            description=settings.FULFILMENT_PARCEL_DESCRIPTION,
            callback_url=callback_url(),
        )
    )
    shipment_created(shipment=shipment, waybill_no=placed.waybill_no, courier_name=provider.name)


def his_dispense_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    """处方发药: the paid prescription to the HIS pharmacy under its transaction id (applied there once)."""
    prescription = Prescription.objects.select_related("visit_person", "doctor").get(public_id=payload["prescription"])
    fulfilment = Fulfilment.objects.select_related("pharmacy").get(prescription=prescription)
    if fulfilment.his_dispense_no or prescription.status == Prescription.Status.VOID:
        return  # transferred already, or voided before it went: nothing to reserve
    version = released_version(prescription)
    order = payment_order_for_payable(payable_kind="prescription", payable_id=str(prescription.public_id))
    assert version is not None and version.pharmacist is not None and order is not None  # it was approved and paid
    ticket = his.client().dispense(
        base.DispenseRequest(
            transaction_id=payload["transaction_id"],
            patient_id=his_patient_id(prescription.visit_person),
            prescription_no=str(prescription.public_id),
            pharmacy_code=fulfilment.pharmacy.his_code,
            doctor_code=prescription.doctor.username,
            pharmacist_code=version.pharmacist.username,
            method=fulfilment.method,
            amount_fen=order.amount_fen,
            trade_no=order.provider_txn_id or order.out_trade_no,
            items=tuple(base.DispenseItem(drug_code=i.drug_code, quantity=i.quantity) for i in version.items.all()),
        )
    )
    prescription_his_transferred(prescription=prescription, dispense_no=ticket.dispense_no)


def his_cancel_dispense_from_outbox(payload: dict[str, Any], idempotency_key: str) -> None:
    """A voided paid prescription's reservation at the HIS pharmacy is cancelled (stock goes back). While its
    transfer is still on its way this waits (a transient error: retried); if it never went, nothing to do."""
    prescription = Prescription.objects.get(public_id=payload["prescription"])
    fulfilment = Fulfilment.objects.get(prescription=prescription)
    if not fulfilment.his_dispense_no:
        transfer = OutboxMessage.objects.filter(idempotency_key=f"FY-{prescription.public_id}").first()
        if transfer is not None and transfer.status == OutboxMessage.Status.PENDING:
            raise DeliveryError("the transfer to the HIS pharmacy is still on its way")
        return
    his.client().cancel_dispense(
        base.CancelDispenseRequest(
            transaction_id=payload["transaction_id"], prescription_no=str(prescription.public_id), reason="处方作废"
        )
    )
