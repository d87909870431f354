"""Consultation reads, each with its authorisation: the patient sees their own, the doctor their own
patients'. Reads of the room are audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet

from ihospital.accounts.models import User, VisitPerson
from ihospital.appointments.models import Appointment
from ihospital.audit.services import Actor, record
from ihospital.consultations.models import Consultation, HisVisitHistoryCopy, Message, Recording
from ihospital.core.errors import CoreError, DomainError
from ihospital.core.time import now
from ihospital.integrations import his
from ihospital.integrations.his import codec
from ihospital.integrations.his.base import HisError, HistoryQuery
from ihospital.integrations.his.base import Visit as HisVisit

RELATED = (
    "appointment__visit_person",
    "appointment__slot",
    "appointment__schedule__department",
    "appointment__schedule__doctor__user",
    "doctor",
    "patient",
)


def _get(public_id: UUID | str, *, related: tuple[str, ...] = RELATED, **scope) -> Consultation:
    try:
        return Consultation.objects.select_related(*related).get(public_id=public_id, **scope)
    except (Consultation.DoesNotExist, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None


def _audit_read(actor: Actor, consultation: Consultation) -> None:
    with transaction.atomic():
        record(
            actor=actor, action="consultation.read", target_type="consultation", target_id=str(consultation.public_id)
        )


def access_consultation_for_patient(*, user: User, public_id: UUID | str, actor: Actor) -> Consultation:
    consultation = _get(public_id, patient=user)
    _audit_read(actor, consultation)
    return consultation


def access_consultation_for_doctor(*, user: User, public_id: UUID | str, actor: Actor) -> Consultation:
    consultation = _get(public_id, doctor=user)
    _audit_read(actor, consultation)
    return consultation


def access_consultation_participant(
    *, user: User, public_id: UUID | str, actor: Actor, related: tuple[str, ...] = RELATED
) -> Consultation:
    """Either participant (the patient account or the doctor); anyone else: not found. A socket passes
    ``related=("doctor",)``: on connect the seven-table join cost more to plan than to run."""
    if not getattr(user, "is_authenticated", False):
        raise DomainError(CoreError.NOT_FOUND)
    consultation = _get(public_id, related=related)
    if user.pk not in (consultation.patient_id, consultation.doctor_id):
        raise DomainError(CoreError.NOT_FOUND)
    _audit_read(actor, consultation)
    return consultation


def access_consultation_for_auditor(*, user: User, public_id: UUID | str, actor: Actor) -> Consultation:
    if getattr(user, "role", None) != "auditor":
        raise DomainError(CoreError.NOT_FOUND)
    consultation = _get(public_id)
    _audit_read(actor, consultation)
    return consultation


def consultation_of_appointment(appointment: Appointment) -> Consultation | None:
    return Consultation.objects.filter(appointment=appointment).select_related(*RELATED).first()


def doctor_queue(doctor: User) -> QuerySet[Consultation]:
    """Checked in and not yet in the room, in call order."""
    return Consultation.objects.queue_of(doctor.pk).select_related(*RELATED)


def doctor_queue_positioned(doctor: User) -> list[Consultation]:
    """The queue with each entry's position set (``known_queue_position``): one query, not one per row."""
    queue = list(doctor_queue(doctor))
    for position, consultation in enumerate(queue, start=1):
        consultation.known_queue_position = position
    return queue


def doctor_in_progress(doctor: User) -> Consultation | None:
    return (
        Consultation.objects.filter(doctor=doctor, status=Consultation.Status.IN_PROGRESS)
        .select_related(*RELATED)
        .first()
    )


def doctor_finished_today(doctor: User, since) -> QuerySet[Consultation]:
    return (
        Consultation.objects.filter(doctor=doctor, status__in=Consultation.ENDED, ended_at__gte=since)
        .select_related(*RELATED)
        .order_by("-ended_at")
    )


UPCOMING_DAYS = 7


def doctor_upcoming_accepted(doctor: User, today) -> QuerySet[Appointment]:
    """The doctor's accepted visits from the start of the hospital's ``today`` through UPCOMING_DAYS more
    days, by slot time (those checked in are in the queue instead)."""
    return (
        Appointment.objects.filter(
            schedule__doctor__user=doctor,
            status=Appointment.Status.ACCEPTED,
            slot__starts_at__gte=today,
            slot__starts_at__lt=today + timedelta(days=UPCOMING_DAYS + 1),
        )
        .select_related("visit_person", "slot", "schedule__department")
        .order_by("slot__starts_at", "pk")
    )


def messages_of(consultation: Consultation) -> QuerySet[Message]:
    return consultation.messages.select_related("sender").order_by("sent_at", "pk")


def access_message_image(*, consultation: Consultation, message_id: UUID | str) -> Message:
    try:
        return consultation.messages.get(public_id=message_id, kind=Message.Kind.IMAGE)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None


def access_recording(*, consultation: Consultation, recording_id: UUID | str) -> Recording:
    try:
        return consultation.recordings.get(public_id=recording_id)
    except (Recording.DoesNotExist, ValueError, TypeError):
        raise DomainError(CoreError.NOT_FOUND) from None


def recent_consultations(limit: int = 100) -> QuerySet[Consultation]:
    return Consultation.objects.select_related(*RELATED).order_by("-checked_in_at")[:limit]


@dataclass(frozen=True)
class StopPreview:
    """What stopping a schedule (停诊) would do now, for the confirmation page."""

    cancelled: int  # bookings that would be cancelled, waiting patients included
    refunded: int  # of those, the paid ones (refunded in full)
    waiting: int  # of those, patients already in the waiting room
    in_consultation: int  # visits in the room, left to finish


def schedule_stop_preview(schedule_ids: list[int]) -> StopPreview:
    """Counts over the open schedules among ``schedule_ids``; the service decides again when it runs."""
    status = Appointment.Status
    counts = dict(
        Appointment.objects.filter(schedule_id__in=schedule_ids, schedule__status="open", status__in=Appointment.ACTIVE)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    in_consultation = counts.pop(status.IN_CONSULTATION, 0)
    return StopPreview(
        cancelled=sum(counts.values()),
        refunded=sum(n for state, n in counts.items() if state != status.PENDING_PAYMENT),
        waiting=counts.get(status.WAITING, 0),
        in_consultation=in_consultation,
    )


# --- visit history (门诊就诊记录): online visits here, in-person ones from the HIS -----------------------
@dataclass(frozen=True)
class OnlineVisit:
    consultation: Consultation
    date: date
    department: str
    doctor: str
    complaint: str


@dataclass(frozen=True)
class VisitHistoryPage:
    person: VisitPerson
    online: list[OnlineVisit]
    his_visits: tuple[HisVisit, ...]
    his_state: str  # "live", "copy" (the HIS is unreachable: the last read), "unavailable", "not_linked"
    his_read_at: datetime | None


ONLINE_VISITS = (Consultation.Status.COMPLETED, Consultation.Status.REFERRED, Consultation.Status.AUTO_COMPLETED)


def access_history_person_for_patient(*, user: User, public_id: UUID | str) -> VisitPerson:
    """One of the patient's own visit persons (removed ones too: their history stays theirs); else 404."""
    try:
        return VisitPerson.objects.get(public_id=public_id, account=user)
    except (VisitPerson.DoesNotExist, ValueError, TypeError, ValidationError):
        raise DomainError(CoreError.NOT_FOUND) from None


def visit_history_read(*, person: VisitPerson, actor: Actor) -> VisitHistoryPage:
    """The person's earlier visits at this hospital: online ones from our database, in-person ones from the
    HIS (live; its last copy, with its time, when the HIS cannot be reached). The caller has authorised
    the reader. Calls the HIS: never inside a transaction. Audited ``visit_history.read`` (with where the
    in-person part came from)."""
    online = [
        OnlineVisit(
            consultation=c,
            date=c.appointment.schedule.date,
            department=str(c.appointment.schedule.department),
            doctor=c.doctor.display_name,
            complaint=c.appointment.complaint,
        )
        for c in Consultation.objects.filter(appointment__visit_person=person, status__in=ONLINE_VISITS)
        .select_related("appointment__schedule__department", "doctor")
        .order_by("-appointment__schedule__date", "-id")
    ]
    his_visits: tuple[HisVisit, ...] = ()
    read_at: datetime | None = None
    if not person.his_patient_id:
        state = "not_linked"
    else:
        try:
            his_visits = his.client().visit_history(HistoryQuery(patient_id=person.his_patient_id)).visits
            state, read_at = "live", now()
        except HisError:
            copy = HisVisitHistoryCopy.objects.filter(visit_person=person).first()
            state = "copy" if copy else "unavailable"
            if copy:
                his_visits = tuple(codec.from_dict(HisVisit, item) for item in copy.visits)
                read_at = copy.read_at
    with transaction.atomic():
        record(
            actor=actor,
            action="visit_history.read",
            target_type="visit_person",
            target_id=str(person.public_id),
            details={"his": state, "online": len(online), "in_person": len(his_visits)},
        )
    return VisitHistoryPage(person=person, online=online, his_visits=his_visits, his_state=state, his_read_at=read_at)
