"""Medical record reads, each with its authorisation and each audited (``record.read``):

- the patient: the records of the visit persons of their own account, signed versions only;
- a doctor: the records of a visit person they have consulted (a consultation that started), and their own;
- anyone else: not found (the same answer as a record that does not exist).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet

from ihospital.accounts.models import Role, User
from ihospital.audit.services import Actor, record
from ihospital.consultations.models import Consultation
from ihospital.core.errors import CoreError, DomainError
from ihospital.records.models import MedicalRecord, Phrase, RecordTemplate, RecordVersion

RELATED = (
    "visit_person",
    "doctor",
    "consultation__appointment__schedule__department",
)


def _audit_read(actor: Actor, medical_record: MedicalRecord, **details: Any) -> None:
    with transaction.atomic():
        record(
            actor=actor,
            action="record.read",
            target_type="medical_record",
            target_id=str(medical_record.public_id),
            details=details,
        )


def _get(public_id: UUID | str) -> MedicalRecord:
    try:
        return MedicalRecord.objects.select_related(*RELATED).get(public_id=public_id)
    except (MedicalRecord.DoesNotExist, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None


def doctor_has_consulted(*, doctor: User, visit_person_id: int) -> bool:
    return Consultation.objects.filter(
        doctor=doctor, appointment__visit_person_id=visit_person_id, started_at__isnull=False
    ).exists()


def access_record(*, user: Any, public_id: UUID | str, actor: Actor) -> MedicalRecord:
    """The record, if ``user`` may read it (see the module's rules); audited."""
    role = getattr(user, "role", None)
    if not getattr(user, "is_authenticated", False) or role not in (Role.PATIENT, Role.DOCTOR):
        raise DomainError(CoreError.NOT_FOUND)
    medical_record = _get(public_id)
    if role == Role.PATIENT:
        allowed = medical_record.visit_person.account_id == user.pk and signed_versions(medical_record).exists()
    else:
        allowed = medical_record.doctor_id == user.pk or doctor_has_consulted(
            doctor=user, visit_person_id=medical_record.visit_person_id
        )
    if not allowed:
        raise DomainError(CoreError.NOT_FOUND)
    _audit_read(actor, medical_record)
    return medical_record


def signed_versions(medical_record: MedicalRecord) -> QuerySet[RecordVersion]:
    return (
        RecordVersion.objects.filter(record=medical_record, status=RecordVersion.Status.SIGNED)
        .select_related("signature__certificate", "author")
        .order_by("-number")
    )


def versions_of(medical_record: MedicalRecord) -> QuerySet[RecordVersion]:
    """Every version, newest first (for the doctor: the draft too)."""
    return (
        RecordVersion.objects.filter(record=medical_record)
        .select_related("signature__certificate", "author")
        .order_by("-number")
    )


def records_of_patient(*, user: User, actor: Actor) -> list[tuple[MedicalRecord, RecordVersion]]:
    """My records: each visit's record with its latest signed version, newest visit first; audited."""
    records = (
        MedicalRecord.objects.filter(visit_person__account=user, versions__status=RecordVersion.Status.SIGNED)
        .select_related(*RELATED)
        .distinct()
        .order_by("-created_at")
    )
    result = []
    for medical_record in records:
        latest = signed_versions(medical_record).first()
        if latest is not None:
            result.append((medical_record, latest))
    if result:
        with transaction.atomic():
            record(
                actor=actor,
                action="record.list",
                target_type="user",
                target_id=str(user.public_id),
                details={"records": [str(r.public_id) for r, _v in result]},
            )
    return result


def record_of_consultation(consultation: Consultation) -> MedicalRecord | None:
    return MedicalRecord.objects.filter(consultation=consultation).first()


def access_version(*, medical_record: MedicalRecord, number: int, signed_only: bool) -> RecordVersion:
    versions = signed_versions(medical_record) if signed_only else versions_of(medical_record)
    version = versions.filter(number=number).first()
    if version is None:
        raise DomainError(CoreError.NOT_FOUND)
    return version


def templates_for(*, doctor: User, department_id: int | None) -> QuerySet[RecordTemplate]:
    """The doctor's own templates and those shared with ``department_id`` (the consultation's)."""
    shared = Q(department_id=department_id) if department_id else Q(pk__in=[])
    return RecordTemplate.objects.filter(Q(owner=doctor, department__isnull=True) | shared, retired_at__isnull=True)


def phrases_of(*, doctor: User) -> QuerySet[Phrase]:
    return Phrase.objects.filter(owner=doctor, retired_at__isnull=True)


def _templates_seen_by(user: User) -> Q:
    if user.role == Role.HOSPITAL_ADMIN:
        return Q(department__isnull=False)
    return Q(owner=user) | Q(department__doctors__user=user)


def templates_to_manage(*, user: User) -> QuerySet[RecordTemplate]:
    """The templates in use that ``user`` sees on the templates page: a doctor's own (personal and shared)
    and those shared with the departments they work in; a hospital administrator's, every department's."""
    return (
        RecordTemplate.objects.filter(_templates_seen_by(user), retired_at__isnull=True)
        .select_related("owner", "department")
        .distinct()
        .order_by("department__sort_order", "department_id", "name", "id")
    )


def access_template(*, user: User, public_id: UUID | str) -> RecordTemplate:
    """A template in use or retired that ``user`` may see (as ``templates_to_manage``), else not found."""
    try:
        seen = RecordTemplate.objects.filter(_templates_seen_by(user)).select_related("owner", "department")
        return seen.distinct().get(public_id=public_id)
    except (RecordTemplate.DoesNotExist, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None


def access_phrase(*, doctor: User, public_id: UUID | str) -> Phrase:
    """One of ``doctor``'s own common phrases, else not found."""
    try:
        return Phrase.objects.get(owner=doctor, public_id=public_id)
    except (Phrase.DoesNotExist, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None
