"""The patient's side of a released prescription: choosing delivery or pickup, and paying for it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.time import now
from ihospital.fulfilment.errors import FulfilmentError
from ihospital.fulfilment.models import Address, Fulfilment, Pharmacy
from ihospital.fulfilment.services.pharmacies import delivery_pharmacy
from ihospital.payments.models import PaymentOrder
from ihospital.payments.selectors import payment_order_for_payable
from ihospital.payments.services import payment_order_create
from ihospital.prescriptions.models import Prescription

PAYABLE_KIND = "prescription"


def _payable_now(prescription: Prescription) -> None:
    prescription.refresh_from_db(fields=["status", "valid_until"])
    if prescription.status != Prescription.Status.RELEASED:
        if prescription.status == Prescription.Status.PAID:
            raise DomainError(FulfilmentError.CHOICE_LOCKED)
        raise DomainError(FulfilmentError.NOT_PAYABLE, current=prescription.get_status_display())
    if prescription.valid_until is None or prescription.valid_until <= now():
        raise DomainError(FulfilmentError.PAST_VALIDITY)


@transaction.atomic
def fulfilment_choose(
    *, prescription: Prescription, method: str, address: Address | None, pharmacy: Pharmacy | None, actor: Actor
) -> Fulfilment:
    """Choose (or change, until paid) how the prescription reaches the patient: delivery to ``address`` (one of
    the account's, not retired) or pickup at ``pharmacy`` (one that hands out online prescriptions).

    Preconditions: the caller reached ``prescription`` through ``access_prescription`` as its patient.
    Errors: fulfilment.choice_locked (paid), fulfilment.not_payable, fulfilment.past_validity,
    fulfilment.address_needed, fulfilment.pharmacy_needed, fulfilment.address_retired,
    fulfilment.pharmacy_unavailable. Audited ``prescription.fulfilment_chosen``.
    """
    _payable_now(prescription)
    if method == Fulfilment.Method.DELIVERY:
        if address is None:
            raise DomainError(FulfilmentError.ADDRESS_NEEDED)
        if address.retired_at is not None or address.account_id != prescription.visit_person.account_id:
            raise DomainError(FulfilmentError.ADDRESS_RETIRED)
        dispensing = delivery_pharmacy()
    elif method == Fulfilment.Method.PICKUP:
        if pharmacy is None:
            raise DomainError(FulfilmentError.PHARMACY_NEEDED)
        if not pharmacy.pickup:
            raise DomainError(FulfilmentError.PHARMACY_CLOSED)
        dispensing, address = pharmacy, None
    else:
        raise DomainError(FulfilmentError.CHOOSE_FIRST)
    fulfilment, _created = Fulfilment.objects.update_or_create(
        prescription=prescription,
        defaults={"method": method, "address": address, "pharmacy": dispensing, "chosen_at": now()},
    )
    record(
        actor=actor,
        action="prescription.fulfilment_chosen",
        target_type="prescription",
        target_id=str(prescription.public_id),
        details={"method": method, "pharmacy": dispensing.his_code},
    )
    return fulfilment


@transaction.atomic
def prescription_pay(*, prescription: Prescription, payer: Any, actor: Actor) -> PaymentOrder:
    """The payment order of the prescription (created on the first call, the same one after): its amount,
    payable until the prescription's validity ends. The view then sends the payer to ``payment_checkout``.

    Errors: fulfilment.choose_first (no delivery or pickup chosen), fulfilment.not_payable,
    fulfilment.past_validity, and payments' own refusals.
    """
    _payable_now(prescription)
    if not Fulfilment.objects.filter(prescription=prescription).exists():
        raise DomainError(FulfilmentError.CHOOSE_FIRST)
    existing = payment_order_for_payable(payable_kind=PAYABLE_KIND, payable_id=str(prescription.public_id))
    if existing is not None and existing.status == PaymentOrder.Status.CREATED:
        return existing
    assert prescription.valid_until is not None  # a released prescription has one (a database constraint)
    return payment_order_create(
        payer=payer,
        payable_kind=PAYABLE_KIND,
        payable_id=str(prescription.public_id),
        amount_fen=prescription.amount_fen,
        description=f"互联网医院处方费 {prescription.visit_person.name}"[:127],
        expires_at=prescription.valid_until,
        actor=actor,
    )
