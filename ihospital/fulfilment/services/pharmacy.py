"""The pharmacy console's actions, each a compare-and-set move of the prescription, audited, telling the
patient: dispense (paid → dispensed, and for pickup → ready_for_pickup with a pickup code), hand to the
courier (dispensed → shipped, a shipment placed through the outbox), hand over at the counter against the
pickup code (ready_for_pickup → picked_up; wrong codes limited and audited)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from ihospital.audit.services import Actor, record
from ihospital.core import ratelimit
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.fulfilment.errors import FulfilmentError
from ihospital.fulfilment.models import Fulfilment, Shipment
from ihospital.fulfilment.notify import notify_patient
from ihospital.fulfilment.services.shipping import shipment_open
from ihospital.prescriptions.models import Prescription

S = Prescription.Status


def _audit(actor: Actor, action: str, prescription: Prescription, **details: Any) -> None:
    record(
        actor=actor, action=action, target_type="prescription", target_id=str(prescription.public_id), details=details
    )


def _move(prescription: Prescription, to: str, **changes: Any) -> str:
    try:
        return transition(Prescription, pk=prescription.pk, to=to, transitions=Prescription.TRANSITIONS, **changes)
    except DomainError as refused:
        prescription.refresh_from_db(fields=["status"])
        raise DomainError(FulfilmentError.WRONG_STATE, current=prescription.get_status_display()) from refused


def new_pickup_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def _give_pickup_code(fulfilment: Fulfilment) -> None:
    for _attempt in range(5):  # eight random digits: a clash among codes waiting is rare, and retried
        try:
            with transaction.atomic():
                fulfilment.pickup_code = new_pickup_code()
                fulfilment.save(update_fields=["pickup_code", "pickup_code_index"])
                return
        except IntegrityError:
            continue
    raise RuntimeError("no free pickup code after 5 attempts")


@transaction.atomic
def prescription_dispense(*, prescription: Prescription, pharmacist: Any, actor: Actor) -> Prescription:
    """The pharmacist has the medicine ready: paid → dispensed; a pickup goes on to ready_for_pickup with a
    fresh pickup code, the patient told where and when.

    Preconditions: the HIS pharmacy took the prescription (its dispensing number). Errors:
    fulfilment.not_transferred, fulfilment.wrong_state. Audited ``prescription.dispensed`` (and
    ``prescription.ready_for_pickup``)."""
    fulfilment = Fulfilment.objects.select_related("pharmacy").get(prescription=prescription)
    if not fulfilment.his_dispense_no:
        raise DomainError(FulfilmentError.NOT_TRANSFERRED)
    _move(prescription, S.DISPENSED, dispensed_at=now())
    prescription = Prescription.objects.select_related("visit_person__account").get(pk=prescription.pk)
    _audit(actor, "prescription.dispensed", prescription, dispense_no=fulfilment.his_dispense_no)
    if fulfilment.method == Fulfilment.Method.PICKUP:
        _move(prescription, S.READY_FOR_PICKUP, ready_at=now())
        _give_pickup_code(fulfilment)
        _audit(actor, "prescription.ready_for_pickup", prescription, pharmacy=fulfilment.pharmacy.his_code)
        notify_patient(
            prescription=prescription,
            event="ready_for_pickup",
            title=gettext_noop("Medicine ready for pickup"),
            body=gettext_noop(
                "[ihospital] %(name)s's medicine is ready at %(pharmacy)s (%(hours)s). Show the pickup code in the app."
            ),
            pharmacy=fulfilment.pharmacy.name,
            hours=fulfilment.pharmacy.hours,
        )
    return prescription


@transaction.atomic
def prescription_ship(*, prescription: Prescription, pharmacist: Any, actor: Actor) -> Shipment:
    """Hand the parcel to the courier: dispensed → shipped, and a shipment to the chosen address placed
    through the outbox (the courier answers with a waybill, then pushes its route updates).
    Errors: fulfilment.not_delivery, fulfilment.wrong_state. Audited ``prescription.shipped``."""
    fulfilment = Fulfilment.objects.select_related("address").get(prescription=prescription)
    if fulfilment.method != Fulfilment.Method.DELIVERY or fulfilment.address is None:
        raise DomainError(FulfilmentError.NOT_DELIVERY)
    _move(prescription, S.SHIPPED, shipped_at=now())
    shipment = _ship(fulfilment, prescription)
    _audit(actor, "prescription.shipped", prescription, shipment=str(shipment.public_id))
    notify_patient(
        prescription=prescription,
        event="shipped",
        title=gettext_noop("Medicine on its way"),
        body=gettext_noop("[ihospital] %(name)s's medicine was handed to the courier. Follow it in the app."),
    )
    return shipment


def _ship(fulfilment: Fulfilment, prescription: Prescription) -> Shipment:
    attempt = Shipment.objects.filter(fulfilment=fulfilment).count() + 1
    assert fulfilment.address is not None
    return shipment_open(
        order_no=f"RX{prescription.public_id.hex[:24].upper()}-{attempt}",
        address=fulfilment.address,
        fulfilment=fulfilment,
        correlation_id=str(prescription.public_id),
    )


@transaction.atomic
def prescription_reship(*, prescription: Prescription, pharmacist: Any, actor: Actor) -> Shipment:
    """After a failed delivery (the parcel came back), hand it to the courier again: a new shipment.
    Errors: fulfilment.delivery_not_failed, fulfilment.wrong_state. Audited ``prescription.reshipped``."""
    prescription.refresh_from_db(fields=["status"])
    if prescription.status != S.SHIPPED:
        raise DomainError(FulfilmentError.WRONG_STATE, current=prescription.get_status_display())
    fulfilment = Fulfilment.objects.select_related("address").get(prescription=prescription)
    latest = Shipment.objects.filter(fulfilment=fulfilment).order_by("-created_at", "-id").first()
    if latest is None or latest.status != Shipment.Status.FAILED:
        raise DomainError(FulfilmentError.NOT_FAILED)
    # One re-shipment per failed parcel, even from two consoles at once: the row lock serialises them.
    Shipment.objects.select_for_update().get(pk=latest.pk)
    if Shipment.objects.filter(fulfilment=fulfilment, created_at__gt=latest.created_at).exists():
        raise DomainError(FulfilmentError.NOT_FAILED)
    shipment = _ship(fulfilment, prescription)
    _audit(actor, "prescription.reshipped", prescription, shipment=str(shipment.public_id))
    return shipment


def _wrong_code(pharmacist: Any, actor: Actor, code: str, error: Any) -> DomainError:
    with transaction.atomic():
        record(
            actor=actor,
            action="prescription.pickup_code_wrong",
            target_type="pickup_code",
            details={"code_length": len(code), "code": error.code},
        )
    return DomainError(error)


def prescription_pick_up(*, code: str, pharmacist: Any, actor: Actor) -> Prescription:
    """Hand the medicine over against the patient's pickup code (typed, or scanned from the QR):
    ready_for_pickup → picked_up.

    Call it outside a transaction (a wrong code's audit entry is kept). Errors: fulfilment.pickup_code_limit
    (more than PICKUP_CODE_MAX_WRONG wrong codes by this pharmacist within PICKUP_CODE_WINDOW_SECONDS; even a
    right code then waits), fulfilment.pickup_code_unknown (no prescription waits with it: audited
    ``prescription.pickup_code_wrong``), fulfilment.wrong_state. Audited ``prescription.picked_up``."""
    scope, ident = "fulfilment.pickup_code", str(pharmacist.public_id)
    window = settings.PICKUP_CODE_WINDOW_SECONDS
    if ratelimit.count(scope, ident, seconds=window) >= settings.PICKUP_CODE_MAX_WRONG:
        raise DomainError(FulfilmentError.PICKUP_CODE_LIMIT, seconds=ratelimit.seconds_left(window))
    code = "".join(code.split())
    fulfilment = (
        Fulfilment.objects.matching(pickup_code=code).select_related("prescription").first()
        if code.isdigit() and len(code) == 8
        else None
    )
    if fulfilment is None or fulfilment.prescription.status != S.READY_FOR_PICKUP:
        ratelimit.hit(scope, ident, limit=settings.PICKUP_CODE_MAX_WRONG, seconds=window)
        raise _wrong_code(pharmacist, actor, code, FulfilmentError.PICKUP_CODE_UNKNOWN)
    return _picked_up(fulfilment, actor)


@transaction.atomic
def _picked_up(fulfilment: Fulfilment, actor: Actor) -> Prescription:
    prescription = fulfilment.prescription
    _move(prescription, S.PICKED_UP, completed_at=now())
    prescription = Prescription.objects.select_related("visit_person__account").get(pk=prescription.pk)
    _audit(actor, "prescription.picked_up", prescription)
    notify_patient(
        prescription=prescription,
        event="picked_up",
        title=gettext_noop("Medicine picked up"),
        body=gettext_noop("[ihospital] %(name)s's medicine was handed over at the pharmacy."),
    )
    return prescription
