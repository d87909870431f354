"""What fulfilment tells the patient, in their message centre and by SMS (a Phrase each, translated for
the reader); used by the services and the payable, inside their transactions."""

from __future__ import annotations

from typing import Any

from ihospital.core.i18n import Phrase
from ihospital.notifications.services import notification_send


def patient_link(prescription: Any) -> str:
    return f"/p/prescriptions/{prescription.public_id}/"


def notify_patient(
    *, prescription: Any, event: str, title: str, body: str, occurrence: str = "", **params: Any
) -> None:
    """One message per prescription and event (and ``occurrence``: which parcel's failure), by its dedupe key:
    a retried step never sends twice."""
    account = prescription.visit_person.account
    params = {"name": prescription.visit_person.name, **params}
    notification_send(
        user=account,
        kind=f"prescription.{event}",
        title=Phrase(title),
        body=Phrase(body, params=params),
        link=patient_link(prescription),
        dedupe_key=f"rx:{prescription.public_id.hex}:{event}{occurrence}",
        sms_text=Phrase(body, params=params),
    )
