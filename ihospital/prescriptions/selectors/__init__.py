"""Prescription reads, each with its authorisation; reads of one prescription are audited (``prescription.read``):

- the patient: the prescriptions of the visit persons of their own account, once released (never before:
  no drug is shown to a patient before the pharmacist approved it);
- a doctor: the prescriptions they wrote, and those of a visit person they have consulted;
- a pharmacist: every prescription (they review and dispense them);
- anyone else: not found (the same answer as a prescription that does not exist).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from ihospital.accounts.models import Role, User
from ihospital.audit.services import Actor, record
from ihospital.consultations.models import Consultation
from ihospital.core.errors import CoreError, DomainError
from ihospital.prescriptions.models import Prescription, PrescriptionVersion

RELATED = ("visit_person", "doctor", "consultation__appointment__schedule__department")


def _get(public_id: UUID | str) -> Prescription:
    try:
        return Prescription.objects.select_related(*RELATED).get(public_id=public_id)
    except (Prescription.DoesNotExist, ValidationError, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None


def patient_may_see(prescription: Prescription) -> bool:
    """Released by the pharmacist's approval (and what followed); a prescription voided before its release
    never reached the patient."""
    return prescription.status in Prescription.PATIENT_VISIBLE and prescription.released_at is not None


def _doctor_has_consulted(*, doctor: User, visit_person_id: int) -> bool:
    return Consultation.objects.filter(
        doctor=doctor, appointment__visit_person_id=visit_person_id, started_at__isnull=False
    ).exists()


def may_read(user: Any, prescription: Prescription) -> bool:
    role = getattr(user, "role", None)
    if not getattr(user, "is_authenticated", False):
        return False
    if role == Role.PATIENT:
        return prescription.visit_person.account_id == user.pk and patient_may_see(prescription)
    if role == Role.DOCTOR:
        return prescription.doctor_id == user.pk or _doctor_has_consulted(
            doctor=user, visit_person_id=prescription.visit_person_id
        )
    return role == Role.PHARMACIST


def access_prescription(*, user: Any, public_id: UUID | str, actor: Actor | None = None) -> Prescription:
    """The prescription, if ``user`` may read it (see the module's rules); the read is audited.

    Raises ``DomainError(core.not_found)`` otherwise, the same as for a prescription that does not exist.
    """
    prescription = _get(public_id)
    if not may_read(user, prescription):
        raise DomainError(CoreError.NOT_FOUND)
    with transaction.atomic():
        record(
            actor=actor or Actor.of(user),
            action="prescription.read",
            target_type="prescription",
            target_id=str(prescription.public_id),
        )
    return prescription


def versions_of(prescription: Prescription) -> QuerySet[PrescriptionVersion]:
    """Every version, newest first, with its signatures and items."""
    return (
        PrescriptionVersion.objects.filter(prescription=prescription)
        .select_related("doctor_signature__certificate", "pharmacist_signature__certificate", "author", "pharmacist")
        .prefetch_related("items")
        .order_by("-number")
    )


def current_version(prescription: Prescription) -> PrescriptionVersion:
    """The newest version (the open draft, the one under review, or the one approved)."""
    version = versions_of(prescription).first()
    if version is None:  # every prescription is created with its first version
        raise DomainError(CoreError.NOT_FOUND)
    return version


def released_version(prescription: Prescription) -> PrescriptionVersion | None:
    """The approved version: what the patient sees, pays and receives."""
    return versions_of(prescription).filter(status=PrescriptionVersion.Status.APPROVED).first()
