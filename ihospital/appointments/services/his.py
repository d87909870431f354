"""The booking's life in the HIS: what is queued for it, and what its answers leave on the appointment.

The calls themselves are made by the outbox handlers (``appointments/handlers.py``), outside any
transaction; these services only queue them (in the caller's transaction) and record their answers.

    booked          → ``appointments.his_match``    the visit person found or registered (建档) in the HIS
    paid (or free)  → ``appointments.his_register`` 挂号登记 + 收费 (the receipt number kept)
    refunded        → ``appointments.his_reverse``  退号 + 退费 (the refund's receipt number audited)

Each HIS write carries a transaction id derived from our ids, so however often a message is delivered
the HIS applies it once.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from ihospital.accounts.models import VisitPerson
from ihospital.appointments.models import Appointment
from ihospital.audit.services import Actor, record
from ihospital.core import outbox

HIS = Actor.system("his")


def his_match_enqueue(*, person: VisitPerson) -> None:
    """Queue matching ``person`` in the HIS unless already linked (inside the caller's transaction)."""
    if not person.his_patient_id:
        outbox.enqueue(
            topic="appointments.his_match",
            payload={"visit_person": str(person.public_id)},
            idempotency_key=f"his-match:{person.public_id}",
            correlation_id=str(person.public_id),
        )


def his_register_enqueue(*, appointment: Appointment) -> None:
    """Queue the write-back of a paid (or free) booking (inside the caller's transaction)."""
    outbox.enqueue(
        topic="appointments.his_register",
        payload={"appointment": str(appointment.public_id)},
        idempotency_key=f"his-register:{appointment.public_id}",
        correlation_id=str(appointment.public_id),
    )


def his_reverse_enqueue(*, appointment_public_id: str, order_public_id: str, amount_fen: int, fully: bool) -> None:
    """Queue the reversal of a refunded booking: cancel the registration when refunded in full, and
    refund the charge by ``amount_fen``. Called once per refund that succeeded (payments applies each once);
    the message's key is the HIS refund's transaction id."""
    outbox.enqueue(
        topic="appointments.his_reverse",
        payload={
            "appointment": appointment_public_id,
            "order": order_public_id,
            "amount_fen": amount_fen,
            "fully": fully,
        },
        idempotency_key=f"TF-{uuid.uuid4().hex}",
        correlation_id=appointment_public_id,
    )


@transaction.atomic
def appointment_his_recorded(*, appointment: Appointment, registration_no: str, receipt_no: str) -> None:
    """Keep the HIS's registration serial and charge receipt on the booking (first answer wins: a
    redelivered write gets the same numbers from the HIS). Audited ``appointment.his_registered``."""
    Appointment.objects.filter(pk=appointment.pk, his_registration_no="").update(
        his_registration_no=registration_no, his_receipt_no=receipt_no
    )
    record(
        actor=HIS,
        action="appointment.his_registered",
        target_type="appointment",
        target_id=str(appointment.public_id),
        details={"registration_no": registration_no, "receipt_no": receipt_no},
    )


@transaction.atomic
def appointment_his_reversed(*, appointment: Appointment, cancelled: bool, refund_receipt_no: str) -> None:
    """Record that the HIS cancelled the registration and/or refunded the charge (audited)."""
    record(
        actor=HIS,
        action="appointment.his_reversed",
        target_type="appointment",
        target_id=str(appointment.public_id),
        details={"registration_cancelled": cancelled, "refund_receipt_no": refund_receipt_no},
    )
