"""Tell the patient what happened to their booking. SMS through the outbox for now; the in-app message
centre (a later issue) will hang off the same calls."""

from __future__ import annotations

from ihospital.appointments.models import Appointment
from ihospital.core import outbox


def notify_patient(*, appointment: Appointment, event: str, text: str) -> None:
    """Queue a message in the caller's transaction; one per appointment and event, however often called."""
    phone = appointment.account.phone
    if phone:
        outbox.enqueue(
            topic="sms.send",
            payload={"phone": phone, "text": text},
            idempotency_key=f"appointment:{appointment.public_id}:{event}",
        )
