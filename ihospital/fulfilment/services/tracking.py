"""What a shipment's progress means for the prescription it carries: delivered moves it shipped → delivered
and tells the patient; a failed delivery tells the patient (the pharmacy hands it to the courier again)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.fulfilment.models import Shipment
from ihospital.fulfilment.notify import notify_patient
from ihospital.prescriptions.models import Prescription


def shipment_moved(*, shipment: Shipment, status: str, actor: Actor) -> None:
    """Called inside the callback's transaction after the shipment moved forward to ``status``."""
    if shipment.fulfilment_id is None or status not in ("delivered", "failed"):
        return
    prescription = Prescription.objects.select_related("visit_person__account").get(
        fulfilment__pk=shipment.fulfilment_id
    )
    if status == "delivered":
        try:
            transition(
                Prescription,
                pk=prescription.pk,
                to=Prescription.Status.DELIVERED,
                transitions=Prescription.TRANSITIONS,
                completed_at=now(),
            )
        except DomainError:
            return  # an older parcel's late update: the prescription already moved on
        record(
            actor=actor,
            action="prescription.delivered",
            target_type="prescription",
            target_id=str(prescription.public_id),
        )
        notify_patient(
            prescription=prescription,
            event="delivered",
            title=gettext_noop("Medicine delivered"),
            body=gettext_noop("[ihospital] %(name)s's medicine was delivered. Take it as prescribed."),
        )
    else:
        notify_patient(
            prescription=prescription,
            event="delivery_failed",
            occurrence=f":{shipment.order_no.rsplit('-', 1)[-1]}",
            title=gettext_noop("Delivery failed"),
            body=gettext_noop(
                "[ihospital] The courier could not deliver %(name)s's medicine. The pharmacy will send it again."
            ),
        )
