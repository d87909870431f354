"""危急值: the ordering doctor acknowledges a critical value (the alert is raised by ``results``)."""

from __future__ import annotations

from django.db import transaction

from ihospital.accounts.models import User
from ihospital.audit.services import Actor, record
from ihospital.core.errors import DomainError
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.labs.errors import ReportError
from ihospital.labs.models import CriticalAlert


@transaction.atomic
def critical_alert_acknowledge(*, alert: CriticalAlert, doctor: User, note: str, actor: Actor) -> CriticalAlert:
    """The doctor has seen the critical value and says what was done (called the patient, …).

    Preconditions: ``alert`` was fetched by ``access_critical_alert`` for ``doctor`` (its doctor).
    Refuses, changing nothing: report.note_required (empty or over 300 characters),
    report.already_acknowledged (acknowledged before, by this or another tab: compare-and-set).
    Side effects: acknowledged_at and the note; audit ``report.critical_acknowledged``.
    """
    note = note.strip()
    if not note or len(note) > 300:
        raise DomainError(ReportError.NOTE_REQUIRED)
    moment = now()
    transition(
        CriticalAlert,
        pk=alert.pk,
        to=CriticalAlert.Status.ACKNOWLEDGED,
        transitions=CriticalAlert.TRANSITIONS,
        error=ReportError.ALREADY_ACKNOWLEDGED,
        acknowledged_at=moment,
        note=note,
    )
    alert.status, alert.acknowledged_at, alert.note = CriticalAlert.Status.ACKNOWLEDGED, moment, note
    record(
        actor=actor,
        action="report.critical_acknowledged",
        target_type="critical_alert",
        target_id=str(alert.public_id),
        details={"report": str(alert.report.public_id), "doctor": str(doctor.public_id), "note": note},
    )
    return alert
