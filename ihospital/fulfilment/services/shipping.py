"""Placing a parcel with the courier: a Shipment with a copy of the address, placed by the outbox."""

from __future__ import annotations

from django.db import transaction

from ihospital.core import outbox
from ihospital.fulfilment.models import Address, Fulfilment, Shipment


@transaction.atomic(savepoint=False)  # always inside the caller's transaction
def shipment_open(
    *, order_no: str, address: Address, fulfilment: Fulfilment | None = None, correlation_id: str = ""
) -> Shipment:
    """A shipment to ``address`` (copied), and the outbox message that places it with the courier under
    ``order_no`` (the courier's idempotency key). Call it inside the service that hands the parcel over."""
    shipment = Shipment.objects.create(
        fulfilment=fulfilment,
        order_no=order_no,
        recipient=address.recipient,
        phone=address.phone,
        region=address.region,
        detail=address.detail,
    )
    outbox.enqueue(
        topic="fulfilment.courier_ship",
        payload={"shipment": str(shipment.public_id)},
        idempotency_key=f"ship:{order_no}",
        correlation_id=correlation_id,
    )
    return shipment
