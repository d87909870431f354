from __future__ import annotations

from typing import TypedDict

from ihospital.appointments.models import Appointment
from ihospital.consultations.models import Consultation
from ihospital.core.state import transition


def move(consultation: Consultation, to: str, **changes) -> None:
    """Compare-and-set the consultation's state (coded error, nothing changed, if not allowed from here)."""
    transition(Consultation, pk=consultation.pk, to=to, transitions=Consultation.TRANSITIONS, **changes)
    consultation.refresh_from_db()


def move_appointment(appointment: Appointment, to: str, **changes) -> None:
    transition(Appointment, pk=appointment.pk, to=to, transitions=Appointment.TRANSITIONS, **changes)
    appointment.refresh_from_db()


class Target(TypedDict):
    target_type: str
    target_id: str


def target(consultation: Consultation) -> Target:
    return {"target_type": "consultation", "target_id": str(consultation.public_id)}
