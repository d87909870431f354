"""Outbox handlers of fulfilment, run outside any transaction: placing a shipment with the courier.
A ``CourierError`` propagates: transient ones are retried with backoff, permanent ones park the message."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from ihospital.fulfilment.models import Shipment
from ihospital.fulfilment.services import shipment_created
from ihospital.integrations.courier import courier
from ihospital.integrations.courier.base import Address, ShipmentRequest


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
