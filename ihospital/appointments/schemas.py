from datetime import date, datetime
from uuid import UUID

from ninja import Field, Schema


class BookingIn(Schema):
    visit_person_id: UUID
    schedule_id: UUID
    slot_number: int | None = Field(None, ge=1, le=200)
    complaint: str = Field(..., max_length=500)
    prior_visit_date: date
    prior_hospital: str = Field(..., max_length=100)
    prior_diagnosis: str = Field(..., max_length=200)


class AttachmentOut(Schema):
    id: UUID = Field(..., alias="public_id")
    content_type: str
    size: int
    original_name: str


class AppointmentOut(Schema):
    id: UUID = Field(..., alias="public_id")
    status: str
    status_label: str
    visit_person: str
    doctor: str
    department: str
    category: str
    slot_number: int
    starts_at: datetime
    complaint: str
    prior_visit_date: date
    prior_hospital: str
    prior_diagnosis: str
    fee_fen: int
    hold_expires_at: datetime
    reject_reason: str
    refunded: bool
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_visit_person(obj) -> str:
        return obj.visit_person.name

    @staticmethod
    def resolve_doctor(obj) -> str:
        return obj.schedule.doctor.user.full_name

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.schedule.department.name

    @staticmethod
    def resolve_category(obj) -> str:
        return obj.schedule.category

    @staticmethod
    def resolve_slot_number(obj) -> int:
        return obj.slot.number

    @staticmethod
    def resolve_starts_at(obj) -> datetime:
        return obj.slot.starts_at

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())


class CheckoutOut(Schema):
    pay_url: str


class AcceptIn(Schema):
    prior_diagnosis_confirmed: bool


class RejectIn(Schema):
    reason: str = Field(..., max_length=300)
