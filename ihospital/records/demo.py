"""A past visit with its signed record, for the demos of what follows a visit (prescriptions, their
fulfilment): written as the hospital's history would hold it, the record through the records services."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from ihospital.accounts.models import User, VisitPerson
from ihospital.appointments.models import Appointment
from ihospital.audit.services import Actor
from ihospital.consultations.models import Consultation
from ihospital.core.time import now
from ihospital.records.services import RecordContent, record_draft_save, record_open, record_sign
from ihospital.scheduling.models import Slot


@dataclass(frozen=True)
class PastVisit:
    complaint: str  # also how a second run finds the visit it made
    day: date
    at: time
    prior_visit_date: date
    last_free_slot: bool = False  # two demos take different free slots of the same doctor


def past_visit(*, patient: User, doctor: User, visit: PastVisit) -> Consultation | None:
    """Demo only: the patient's completed video visit with the doctor on ``visit.day`` (a free slot of his
    moved there); the one made by an earlier run when it exists; None when no slot or visit person is left."""
    existing = Consultation.objects.filter(patient=patient, doctor=doctor, appointment__complaint=visit.complaint)
    if (found := existing.first()) is not None:
        return found
    free = Slot.objects.filter(schedule__doctor__user=doctor, schedule__category="video", status="free")
    slot = free.last() if visit.last_free_slot else free.first()
    person = VisitPerson.objects.filter(account=patient, removed_at__isnull=True).order_by("pk").first()
    if slot is None or person is None:
        return None
    starts = timezone.make_aware(datetime.combine(visit.day, visit.at))
    with transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(
            starts_at=starts, ends_at=starts + timedelta(minutes=10), status="booked"
        )
        appointment = Appointment.objects.create(
            account=patient,
            visit_person=person,
            schedule=slot.schedule,
            slot=slot,
            status=Appointment.Status.COMPLETED,
            complaint=visit.complaint,
            prior_visit_date=visit.prior_visit_date,
            prior_hospital="本院心血管内科门诊",
            prior_diagnosis="原发性高血压 1 级",
            fee_fen=0,
            hold_expires_at=starts,
            prior_diagnosis_confirmed=True,
            reviewed_by=doctor,
            reviewed_at=starts - timedelta(days=1),
        )
        return Consultation.objects.create(
            appointment=appointment,
            doctor=doctor,
            patient=patient,
            status=Consultation.Status.COMPLETED,
            queue_token=secrets.token_hex(8),
            checked_in_at=starts - timedelta(minutes=5),
            called_at=starts,
            started_at=starts,
            ended_at=min(now(), starts + timedelta(minutes=12)),
        )


def record_signed(*, consultation: Consultation, doctor: User, pin: str, content: RecordContent) -> None:
    """The visit's record written and signed by the doctor, unless it is signed already."""
    version = record_open(doctor=doctor, consultation=consultation, actor=Actor.of(doctor))
    if version.is_signed:
        return
    version = record_draft_save(
        doctor=doctor, version=version, content=content, revision=version.revision, actor=Actor.of(doctor)
    )
    record_sign(doctor=doctor, version=version, revision=version.revision, pin=pin, actor=Actor.of(doctor))
