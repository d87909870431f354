"""All writes of fulfilment: the address book, pharmacies, pickup codes, the courier's updates."""

from ihospital.fulfilment.services.addresses import AddressInput, address_create, address_retire, address_update
from ihospital.fulfilment.services.courier import courier_callback_receive, shipment_created

__all__ = [
    "AddressInput",
    "address_create",
    "address_retire",
    "address_update",
    "courier_callback_receive",
    "shipment_created",
]
