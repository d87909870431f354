"""All writes of fulfilment: the address book, pharmacies, the patient's choice and payment, expiry and void,
the pharmacy's dispensing, shipping and pickup, the courier's updates."""

from ihospital.fulfilment.services.addresses import AddressInput, address_create, address_retire, address_update
from ihospital.fulfilment.services.courier import courier_callback_receive, shipment_created
from ihospital.fulfilment.services.lifecycle import (
    prescription_his_transferred,
    prescription_paid,
    prescription_void,
    prescriptions_expire_due,
)
from ihospital.fulfilment.services.patient import fulfilment_choose, prescription_pay
from ihospital.fulfilment.services.pharmacies import delivery_pharmacy, pharmacies_sync
from ihospital.fulfilment.services.pharmacy import (
    prescription_dispense,
    prescription_pick_up,
    prescription_reship,
    prescription_ship,
)

__all__ = [
    "AddressInput",
    "address_create",
    "address_retire",
    "address_update",
    "courier_callback_receive",
    "delivery_pharmacy",
    "fulfilment_choose",
    "pharmacies_sync",
    "prescription_dispense",
    "prescription_his_transferred",
    "prescription_paid",
    "prescription_pay",
    "prescription_pick_up",
    "prescription_reship",
    "prescription_ship",
    "prescription_void",
    "prescriptions_expire_due",
    "shipment_created",
]
