"""Tell the patient what happened to their booking: a message in the app's message centre (with a live
banner on any open page) and the same text by SMS, through ``notification_send``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_noop

from ihospital.appointments.models import Appointment
from ihospital.core.i18n import Phrase
from ihospital.core.time import local
from ihospital.notifications.services import notification_send

TITLES = {
    "paid": gettext_noop("Payment received"),
    "accepted": gettext_noop("Booking accepted"),
    "rejected": gettext_noop("Booking declined"),
    "schedule_stopped": gettext_noop("Online clinic cancelled"),
    "referred": gettext_noop("In-person visit advised"),
}


def notify_patient(*, appointment: Appointment, event: str, text: str, params: dict[str, Any] | None = None) -> None:
    """Send in the caller's transaction; one message (and one SMS) per appointment and event, however
    often called. ``text`` is the SMS's source text (marked with ``gettext_noop``) with ``%(name)s``
    ``params``: the SMS is rendered in the patient's language, not in the language of whoever caused it
    (a doctor's English interface must not reach a patient), and the message centre shows it in the
    language the patient reads in (without the SMS signature)."""
    message = Phrase(text, params=params or {})
    notification_send(
        user=appointment.account,
        kind=f"appointment.{event}",
        title=Phrase(TITLES.get(event, gettext_noop("Booking update"))),
        body=message,
        link=reverse("appointments:detail", args=[appointment.public_id]),
        dedupe_key=f"appointment:{appointment.public_id}:{event}",
        sms_text=message,
    )


def notify_doctor_awaiting_review(*, appointment: Appointment) -> None:
    """Tell the doctor a paid (or free) booking awaits their review: a message in their message centre,
    which also lights the live badge on their open pages. Once per booking, in the caller's transaction."""
    schedule = appointment.schedule
    notification_send(
        user=schedule.doctor.user,
        kind="appointment.awaiting_review",
        title=Phrase(gettext_noop("A booking awaits your review")),
        body=Phrase(
            gettext_noop(
                "%(name)s booked %(date)s %(period)s at %(time)s (%(category)s). Review it before the session."
            ),
            params={
                "name": appointment.visit_person.name,
                "date": schedule.date.isoformat(),
                "period": Phrase.choice(schedule, "period"),
                "time": f"{local(appointment.slot.starts_at):%H:%M}",
                "category": Phrase.choice(schedule, "category"),
            },
        ),
        link=reverse("appointments:review_queue"),
        dedupe_key=f"appointment:{appointment.public_id}:awaiting_review",
    )
