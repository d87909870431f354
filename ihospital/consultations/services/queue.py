"""The waiting room: check-in, the doctor's call with one recall, answering, no-show."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ihospital.accounts.identity import identity_confirmed_within
from ihospital.accounts.models import User
from ihospital.appointments.models import Appointment
from ihospital.audit.services import Actor, record
from ihospital.consultations import events
from ihospital.consultations.errors import ConsultationError
from ihospital.consultations.models import Consultation
from ihospital.consultations.services._common import move, move_appointment, target
from ihospital.core.errors import DomainError
from ihospital.core.time import now

Status = Consultation.Status


def check_in_window(appointment: Appointment) -> tuple:
    opens = appointment.slot.starts_at - timedelta(minutes=settings.CHECK_IN_OPENS_MINUTES_BEFORE)
    closes = appointment.slot.ends_at + timedelta(minutes=settings.CHECK_IN_CLOSES_MINUTES_AFTER)
    return opens, closes


@transaction.atomic
def consultation_check_in(*, patient: User, appointment: Appointment, actor: Actor) -> Consultation:
    """Enter the waiting room (候诊). Idempotent: a reconnect or a second tab gets the same place.

    Preconditions: ``appointment`` was fetched with ``access_appointment`` for ``patient``.
    Refuses: consultation.not_accepted, consultation.check_in_not_open, consultation.check_in_closed.
    Side effects: appointment accepted → waiting; audited; the queue and the doctor's desk are told.
    """
    existing = Consultation.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.status != Appointment.Status.ACCEPTED:
        raise DomainError(ConsultationError.NOT_CHECKABLE)
    opens, closes = check_in_window(appointment)
    moment = now()
    if moment < opens:
        raise DomainError(
            ConsultationError.CHECK_IN_NOT_OPEN,
            minutes=settings.CHECK_IN_OPENS_MINUTES_BEFORE,
            opens=timezone.localtime(opens).strftime("%H:%M"),
        )
    if moment > closes:
        raise DomainError(ConsultationError.CHECK_IN_CLOSED)
    try:
        move_appointment(appointment, Appointment.Status.WAITING)
    except DomainError:
        # Another tab checked in a moment earlier (its row is committed: the UPDATE waited for it).
        existing = Consultation.objects.filter(appointment=appointment).first()
        if existing is not None:
            return existing
        raise
    consultation = Consultation.objects.create(
        appointment=appointment,
        doctor=appointment.schedule.doctor.user,
        patient=patient,
        queue_token=secrets.token_hex(6),
        checked_in_at=moment,
    )
    record(actor=actor, action="consultation.check_in", **target(consultation))
    events.announce_queue_on_commit(
        consultation, desk_alert=_("%(name)s checked in.") % {"name": appointment.visit_person.name}
    )
    return consultation


def _next_in_queue(doctor: User) -> Consultation:
    queued = Consultation.objects.queue_of(doctor.pk, states=[Status.WAITING, Status.MISSED]).first()
    if queued is None:
        raise DomainError(ConsultationError.QUEUE_EMPTY)
    return queued


@transaction.atomic
def consultation_call(*, doctor: User, consultation: Consultation | None = None, actor: Actor) -> Consultation:
    """Call a patient into the room: the chosen one, or the next in the queue. The patient's page rings;
    unanswered after CALL_ANSWER_SECONDS it rings once more, then the call is marked missed.

    Preconditions: the doctor confirmed their identity within STAFF_IDENTITY_CHECK_SECONDS; a chosen
    consultation was fetched with ``access_consultation_for_doctor``.
    Refuses: consultation.identity_check_required, consultation.doctor_busy, consultation.queue_empty,
    core.illegal_transition (not waiting/missed).
    Side effects: audited (with the identity check's time); the patient's page rings; a time-out is scheduled.
    """
    confirmation = identity_confirmed_within(doctor)
    if confirmation is None:
        raise DomainError(ConsultationError.IDENTITY_CHECK_REQUIRED)
    if Consultation.objects.filter(doctor=doctor, status=Status.IN_PROGRESS).exists():
        raise DomainError(ConsultationError.DOCTOR_BUSY)
    consultation = consultation or _next_in_queue(doctor)
    called_at = now()
    move(
        consultation,
        Status.CALLING,
        call_attempts=1,
        called_at=called_at,
        identity_confirmed_at=confirmation.confirmed_at,
    )
    record(
        actor=actor,
        action="consultation.call",
        details={"identity_confirmed_at": confirmation.confirmed_at.isoformat(), "method": confirmation.method},
        **target(consultation),
    )
    _ring(consultation)
    return consultation


def _ring(consultation: Consultation) -> None:
    from ihospital.consultations.tasks import consultation_call_expire_task

    events.to_room_on_commit(consultation, "ringing", attempt=consultation.call_attempts)
    events.announce_queue_on_commit(consultation)
    assert consultation.called_at is not None  # the call that rings sets it
    timer = {"consultation_pk": consultation.pk, "called_at": consultation.called_at.isoformat()}
    transaction.on_commit(
        partial(consultation_call_expire_task.schedule, kwargs=timer, delay=settings.CALL_ANSWER_SECONDS)
    )


@transaction.atomic
def consultation_call_expire(*, consultation_pk: int, called_at=None) -> str:
    """A call's answer time ran out: ring once more, or mark it missed. Does nothing if the patient
    answered, or a newer ring replaced this one (``called_at`` no longer matches). Returns what happened."""
    consultation = Consultation.objects.select_related("doctor").filter(pk=consultation_pk).first()
    if consultation is None or consultation.status != Status.CALLING:
        return "answered_or_ended"
    assert consultation.called_at is not None  # set together with the calling status
    if called_at is not None and consultation.called_at.isoformat() != str(called_at):
        return "superseded"
    if consultation.called_at > now() - timedelta(seconds=settings.CALL_ANSWER_SECONDS):
        return "not_yet"
    if consultation.call_attempts < settings.CALL_ATTEMPTS:
        updated = Consultation.objects.filter(
            pk=consultation.pk, status=Status.CALLING, called_at=consultation.called_at
        ).update(call_attempts=F("call_attempts") + 1, called_at=now())
        if updated:
            consultation.refresh_from_db()
            record(actor=Actor.system("call-timer"), action="consultation.recall", **target(consultation))
            _ring(consultation)
            return "recalled"
        return "superseded"
    move(consultation, Status.MISSED)
    record(actor=Actor.system("call-timer"), action="consultation.call_missed", **target(consultation))
    events.to_room_on_commit(consultation, "missed")
    events.announce_queue_on_commit(
        consultation, desk_alert=_("%(name)s did not answer.") % {"name": consultation.appointment.visit_person.name}
    )
    return "missed"


def consultation_calls_sweep() -> int:
    """Expire every call whose answer time ran out (so none is missed while a worker was down)."""
    overdue = Consultation.objects.filter(
        status=Status.CALLING, called_at__lte=now() - timedelta(seconds=settings.CALL_ANSWER_SECONDS)
    ).values_list("pk", flat=True)
    return sum(consultation_call_expire(consultation_pk=pk) in {"recalled", "missed"} for pk in list(overdue))


@transaction.atomic
def consultation_decline(*, patient: User, consultation: Consultation, actor: Actor) -> Consultation:
    """The patient declines the ring (not now): the call ends as missed at once, as if unanswered, so the
    doctor sees it on the desk and may call again or call the next patient.

    Refuses: consultation.not_ringing (the call already ended, was answered or timed out).
    Side effects: calling → missed (compare-and-set); audited ``consultation.call_declined``; the room and
    the doctor's desk are told.
    """
    if consultation.status != Status.CALLING:
        raise DomainError(ConsultationError.NOT_RINGING)
    try:
        with transaction.atomic():
            move(consultation, Status.MISSED)
    except DomainError:
        raise DomainError(ConsultationError.NOT_RINGING) from None
    record(actor=actor, action="consultation.call_declined", **target(consultation))
    events.to_room_on_commit(consultation, "missed")
    events.announce_queue_on_commit(
        consultation,
        desk_alert=_("%(name)s declined the call.") % {"name": consultation.appointment.visit_person.name},
    )
    return consultation


@transaction.atomic
def consultation_answer(*, patient: User, consultation: Consultation, actor: Actor) -> Consultation:
    """The patient answers the ring and enters the room: the consultation starts.

    Refuses: consultation.not_ringing, consultation.doctor_busy (the doctor started with someone else).
    Side effects: appointment waiting → in_consultation; audited; 24-hour auto-completion scheduled.
    """
    from ihospital.consultations.tasks import consultation_auto_complete_task

    if consultation.status != Status.CALLING:
        raise DomainError(ConsultationError.NOT_RINGING)
    if Consultation.objects.filter(doctor=consultation.doctor, status=Status.IN_PROGRESS).exists():
        raise DomainError(ConsultationError.DOCTOR_BUSY)
    try:
        with transaction.atomic():
            move(consultation, Status.IN_PROGRESS, started_at=now())
    except DomainError:
        raise DomainError(ConsultationError.NOT_RINGING) from None
    except IntegrityError:  # another patient answered this doctor's call a moment earlier
        raise DomainError(ConsultationError.DOCTOR_BUSY) from None
    move_appointment(consultation.appointment, Appointment.Status.IN_CONSULTATION)
    record(actor=actor, action="consultation.start", **target(consultation))
    events.to_room_on_commit(consultation, "started")
    events.announce_queue_on_commit(consultation)
    transaction.on_commit(
        partial(
            consultation_auto_complete_task.schedule,
            kwargs={"consultation_pk": consultation.pk},
            delay=settings.CONSULTATION_AUTO_COMPLETE_HOURS * 3600 + 60,
        )
    )
    return consultation


@transaction.atomic
def consultation_mark_no_show(*, doctor: User, consultation: Consultation, actor: Actor) -> Consultation:
    """The patient did not come into the room (爽约). Refuses core.illegal_transition once started."""
    move(consultation, Status.NO_SHOW, ended_at=now())
    move_appointment(consultation.appointment, Appointment.Status.NO_SHOW)
    record(actor=actor, action="consultation.no_show", **target(consultation))
    events.to_room_on_commit(consultation, "ended", outcome=Status.NO_SHOW)
    events.announce_queue_on_commit(consultation)
    return consultation


def appointments_no_show_sweep() -> int:
    """Accepted bookings whose check-in closed without the patient ever entering the waiting room become
    ``no_show`` (SPEC §5: accepted → no_show). Returns how many."""
    closed_before = now() - timedelta(minutes=settings.CHECK_IN_CLOSES_MINUTES_AFTER)
    absent = Appointment.objects.filter(status=Appointment.Status.ACCEPTED, slot__ends_at__lt=closed_before)
    marked = 0
    for appointment in absent.only("pk", "public_id", "status"):
        with transaction.atomic():
            try:
                move_appointment(appointment, Appointment.Status.NO_SHOW)
            except DomainError:  # checked in or cancelled this very moment
                continue
            record(
                actor=Actor.system("no-show sweeper"),
                action="appointment.no_show",
                target_type="appointment",
                target_id=str(appointment.public_id),
            )
            marked += 1
    return marked
