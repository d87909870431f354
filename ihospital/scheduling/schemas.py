from datetime import date, datetime
from uuid import UUID

from django.urls import reverse
from ninja import Field, Schema


class DepartmentOut(Schema):
    id: UUID = Field(..., alias="public_id")
    code: str
    name: str
    name_zh: str
    name_en: str
    description: str
    parent_code: str | None = None

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class DoctorCardOut(Schema):
    id: UUID
    name: str
    title: str
    practice_certificate_no: str
    specialties: str
    next_free_at: datetime | None
    free_count: int
    photo_url: str | None = None

    @staticmethod
    def from_card(card) -> "DoctorCardOut":
        doctor = card.doctor
        return DoctorCardOut(
            id=doctor.public_id,
            name=doctor.user.full_name,
            title=doctor.user.title,
            practice_certificate_no=doctor.user.practice_certificate_no,
            specialties=doctor.specialties,
            next_free_at=card.next_free_at,
            free_count=card.free_count,
            photo_url=reverse("scheduling:doctor_photo", args=[doctor.public_id]) if doctor.photo else None,
        )


class SlotOut(Schema):
    number: int
    starts_at: datetime
    ends_at: datetime


class ScheduleOut(Schema):
    id: UUID = Field(..., alias="public_id")
    date: date
    period: str
    category: str
    department: str
    fee_fen: int
    starts_at: datetime
    free_slots: list[SlotOut]

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.name

    @staticmethod
    def resolve_free_slots(obj) -> list:
        return list(getattr(obj, "free", []))


class GuidanceIn(Schema):
    text: str  # at most guidance.MAX_TEXT_LENGTH characters: longer is refused as guidance.text_too_long


class SuggestionOut(Schema):
    department_id: UUID  # open it with /departments/{department_id}/doctors
    department_code: str
    department_name: str
    reason: str
    score: float


class GuidanceOut(Schema):
    emergency: bool  # show ``emergency_advice`` before any suggestion
    emergency_advice: str  # empty unless ``emergency``
    red_flags: list[str]  # the words that made it an emergency
    suggestions: list[SuggestionOut]  # only departments the patient can open
