"""Reads of fulfilment. ``access_*`` fetch and authorise: a patient reaches only their own addresses
(anyone else's is 404, as if it did not exist)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from ihospital.audit.services import Actor, record
from ihospital.fulfilment.models import Address, Fulfilment, Pharmacy, Shipment
from ihospital.prescriptions.models import Prescription, PrescriptionVersion


def addresses_of(*, user: Any) -> QuerySet[Address]:
    return Address.objects.filter(account=user, retired_at__isnull=True)


def access_address(*, user: Any, public_id: UUID | str) -> Address:
    address = addresses_of(user=user).filter(public_id=public_id).first()
    if address is None:
        raise Http404
    return address


def pickup_pharmacies() -> QuerySet[Pharmacy]:
    return Pharmacy.objects.filter(pickup=True)


def access_pharmacy(*, public_id: UUID | str) -> Pharmacy:
    pharmacy = pickup_pharmacies().filter(public_id=public_id).first()
    if pharmacy is None:
        raise Http404
    return pharmacy


# --- prescriptions, as fulfilment shows them ----------------------------------------------------------------


def patient_prescriptions(*, user: Any, actor: Actor) -> list[Prescription]:
    """My prescriptions: those released to the visit persons of ``user``'s account (never one the pharmacist
    has not approved), newest first; the read is audited."""
    found = list(
        Prescription.objects.filter(
            visit_person__account=user, status__in=Prescription.PATIENT_VISIBLE, released_at__isnull=False
        )
        .select_related("visit_person", "doctor", "consultation__appointment__schedule__department")
        .order_by("-released_at")[:100]
    )
    with transaction.atomic():
        record(actor=actor, action="prescription.list_read", target_type="account", details={"count": len(found)})
    return found


def fulfilment_of(prescription: Prescription) -> Fulfilment | None:
    return Fulfilment.objects.select_related("address", "pharmacy").filter(prescription=prescription).first()


def latest_shipment(fulfilment: Fulfilment | None) -> Shipment | None:
    if fulfilment is None:
        return None
    return (
        Shipment.objects.filter(fulfilment=fulfilment).prefetch_related("events").order_by("-created_at", "-id").first()
    )


CONSOLE_STATES = {
    "paid": (Prescription.Status.PAID,),
    "dispensed": (Prescription.Status.DISPENSED,),
    "shipped": (Prescription.Status.SHIPPED,),
    "ready_for_pickup": (Prescription.Status.READY_FOR_PICKUP,),
    "done": (Prescription.Status.DELIVERED, Prescription.Status.PICKED_UP),
}


def pharmacy_queue(*, state: str) -> list[tuple[Prescription, Fulfilment | None, Shipment | None]]:
    """The pharmacy console's list of one state (CONSOLE_STATES), oldest payment first (finished: newest)."""
    statuses = CONSOLE_STATES.get(state, CONSOLE_STATES["paid"])
    order = "-completed_at" if state == "done" else "paid_at"
    rows = list(
        Prescription.objects.filter(status__in=statuses)
        .select_related("visit_person", "doctor", "fulfilment__pharmacy", "fulfilment__address")
        .order_by(order)[:200]
    )
    result = []
    for prescription in rows:
        fulfilment = getattr(prescription, "fulfilment", None)
        result.append((prescription, fulfilment, latest_shipment(fulfilment)))
    return result


def state_counts() -> dict[str, int]:
    counts = dict(
        Prescription.objects.filter(status__in=[s for group in CONSOLE_STATES.values() for s in group])
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return {key: sum(counts.get(s, 0) for s in statuses) for key, statuses in CONSOLE_STATES.items()}


def is_prescription_signature(signature: Any) -> bool:
    """Whether ``signature`` is a doctor's or a pharmacist's signature of a prescription version."""
    return PrescriptionVersion.objects.filter(
        Q(doctor_signature=signature) | Q(pharmacist_signature=signature)
    ).exists()
