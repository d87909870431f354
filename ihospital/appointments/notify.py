"""Tell the patient what happened to their booking: a message in the app's message centre (with a live
banner on any open page) and the same text by SMS, through ``notification_send``."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import override

from ihospital.appointments.models import Appointment
from ihospital.notifications.services import notification_send

# SMS texts open with the sender's signature (短信签名, required by carriers); the app doesn't need it.
_SMS_SIGNATURE = re.compile(r"^\s*(\[[^\]]*\]|【[^】]*】)\s*")


def _default_title(event: str) -> str:
    titles = {
        "paid": _("Payment received"),
        "accepted": _("Booking accepted"),
        "rejected": _("Booking declined"),
        "schedule_stopped": _("Online clinic cancelled"),
        "referred": _("In-person visit advised"),
    }
    return titles.get(event, _("Booking update"))


def notify_patient(
    *, appointment: Appointment, event: str, text: Promise, params: dict[str, Any] | None = None
) -> None:
    """Send in the caller's transaction; one message (and one SMS) per appointment and event, however
    often called. ``text`` is the SMS as a lazy translation (``gettext_lazy``) with ``%(name)s``
    ``params``: it is rendered here in the patient's language, not in the language of whoever caused
    it (a doctor's English interface must not reach a patient). The in-app copy drops the signature."""
    with override(appointment.account.reading_language):
        sms = str(text) % params if params else str(text)
        title = _default_title(event)
    notification_send(
        user=appointment.account,
        kind=f"appointment.{event}",
        title=title,
        body=_SMS_SIGNATURE.sub("", sms),
        link=reverse("appointments:detail", args=[appointment.public_id]),
        dedupe_key=f"appointment:{appointment.public_id}:{event}",
        sms_text=sms,
    )
