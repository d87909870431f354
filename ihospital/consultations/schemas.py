from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from ihospital.consultations import events
from ihospital.consultations.models import Consultation


class ConsultationOut(Schema):
    id: UUID = Field(..., alias="public_id")
    appointment_id: UUID
    status: str
    status_label: str
    doctor: str
    visit_person: str
    slot_starts_at: datetime
    checked_in_at: datetime
    call_attempts: int
    called_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    referral_reason: str
    queue_position: int | None = Field(None, description="1 = next; null once called in or ended")
    socket_path: str = Field(..., description="the room's WebSocket: ring, chat, signalling, end")

    @staticmethod
    def resolve_appointment_id(obj: Consultation) -> UUID:
        return obj.appointment.public_id

    @staticmethod
    def resolve_status_label(obj: Consultation) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_doctor(obj: Consultation) -> str:
        return obj.doctor.display_name

    @staticmethod
    def resolve_visit_person(obj: Consultation) -> str:
        return obj.appointment.visit_person.name

    @staticmethod
    def resolve_slot_starts_at(obj: Consultation) -> datetime:
        return obj.appointment.slot.starts_at

    @staticmethod
    def resolve_queue_position(obj: Consultation) -> int | None:
        known = getattr(obj, "known_queue_position", None)  # a whole queue read at once already knows it
        return known if known is not None else events.queue_position(obj)

    @staticmethod
    def resolve_socket_path(obj: Consultation) -> str:
        return f"/ws/consultations/{obj.public_id}/"


class MessageOut(Schema):
    id: UUID
    kind: str
    text: str
    image_url: str
    sender: str = Field(..., alias="from", description="patient or doctor")
    sent_at: datetime


class MessageIn(Schema):
    text: str = Field(..., max_length=2000)


class ReferIn(Schema):
    reason: str = Field(..., max_length=300)
