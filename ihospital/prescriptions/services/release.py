"""Releasing an approved prescription to the patient (approved → released): the only way a patient sees one."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop

from ihospital.audit.services import Actor, record
from ihospital.core.i18n import Phrase
from ihospital.core.state import transition
from ihospital.core.time import now
from ihospital.notifications.services import notification_send
from ihospital.prescriptions.errors import PrescriptionError
from ihospital.prescriptions.models import Prescription


def patient_link(prescription: Prescription) -> str:
    return f"/p/prescriptions/{prescription.public_id}/"


@transaction.atomic
def prescription_release(*, prescription: Prescription, actor: Actor) -> Prescription:
    """Release an approved prescription to its patient, valid for PRESCRIPTION_VALID_DAYS days.

    Preconditions: the prescription is ``approved`` (the pharmacist signed the current version).
    Side effects: status ``released`` (compare-and-set) with ``released_at`` and ``valid_until``; an audit
    entry ``prescription.released``; a notice to the account of the visit person (in-app and SMS).
    Errors: ``prescription.not_approved`` when it is in any other state (nothing changed).
    Returns the prescription as stored after the move.
    """
    moment = now()
    valid_until = moment + timedelta(days=settings.PRESCRIPTION_VALID_DAYS)
    transition(
        Prescription,
        pk=prescription.pk,
        to=Prescription.Status.RELEASED,
        transitions=Prescription.TRANSITIONS,
        error=PrescriptionError.NOT_APPROVED,
        released_at=moment,
        valid_until=valid_until,
    )
    prescription = Prescription.objects.select_related("visit_person__account").get(pk=prescription.pk)
    record(
        actor=actor,
        action="prescription.released",
        target_type="prescription",
        target_id=str(prescription.public_id),
        details={"valid_until": valid_until.isoformat(), "amount_fen": prescription.amount_fen},
    )
    notification_send(
        user=prescription.visit_person.account,
        kind="prescription.released",
        title=Phrase(gettext_noop("Your prescription is ready")),
        body=Phrase(
            gettext_noop("The pharmacist approved the prescription for %(name)s. Pay for it within %(days)s days."),
            params={"name": prescription.visit_person.name, "days": settings.PRESCRIPTION_VALID_DAYS},
        ),
        link=patient_link(prescription),
        dedupe_key=f"prescription:{prescription.public_id}:released",
    )
    return prescription
