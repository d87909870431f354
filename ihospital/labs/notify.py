"""Tell the patient about their lab/exam order: a message in the message centre (with the live banner) and
the same text by SMS, once per order and event (``notification_send``'s dedupe key)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext, gettext_noop, override

from ihospital.consultations.events import desk_group
from ihospital.core import realtime
from ihospital.core.i18n import Phrase
from ihospital.core.time import local
from ihospital.labs.models import ExamBooking, LabOrder
from ihospital.notifications.services import notification_send

TITLES = {
    "ordered": gettext_noop("Tests ordered"),
    "paid": gettext_noop("Tests paid"),
    "booked": gettext_noop("Exam time booked"),
    "reminder": gettext_noop("Your exam is tomorrow"),
    "cancelled": gettext_noop("Tests cancelled"),
}


def _send(*, order: LabOrder, event: str, text: str, params: dict[str, Any], dedupe: str = "") -> None:
    message = Phrase(text, params=params)
    notification_send(
        user=order.visit_person.account,
        kind=f"lab_order.{event}",
        title=Phrase(TITLES[event]),
        body=message,
        link=reverse("labs:detail", args=[order.public_id]),
        dedupe_key=f"lab_order:{order.public_id}:{event}{dedupe}",
        sms_text=message,
    )


def _names(order: LabOrder) -> str:
    return "、".join(order.items.values_list("name", flat=True))


def order_placed(*, order: LabOrder) -> None:
    _send(
        order=order,
        event="ordered",
        text=gettext_noop("[ihospital] Dr %(doctor)s ordered for %(name)s: %(items)s. Pay online to go ahead."),
        params={"doctor": order.doctor.display_name, "name": order.visit_person.name, "items": _names(order)},
    )


def order_paid(*, order: LabOrder) -> None:
    text = (
        gettext_noop("[ihospital] Payment received for %(items)s. Book a time for the exam in the app.")
        if order.needs_booking
        else gettext_noop("[ihospital] Payment received for %(items)s. Come to the hospital at the hours shown.")
    )
    _send(order=order, event="paid", text=text, params={"items": _names(order)})


def _when(booking: ExamBooking) -> str:
    session = booking.session
    return f"{local(session.starts_at):%Y-%m-%d %H:%M}-{local(session.ends_at):%H:%M}"


def booking_made(*, order: LabOrder, booking: ExamBooking) -> None:
    _send(
        order=order,
        event="booked",
        text=gettext_noop("[ihospital] %(items)s booked for %(when)s at %(place)s."),
        params={"items": _names(order), "when": _when(booking), "place": booking.session.room.place},
        dedupe=f":{booking.public_id}",
    )


def booking_reminder(*, order: LabOrder, booking: ExamBooking) -> None:
    preparation = " ".join(dict.fromkeys(p for p in order.items.values_list("preparation", flat=True) if p))
    _send(
        order=order,
        event="reminder",
        text=gettext_noop(
            "[ihospital] Reminder: %(items)s tomorrow %(when)s at %(place)s. Preparation: %(preparation)s "
            "Show the check-in code %(code)s at the desk."
        ),
        params={
            "items": _names(order),
            "when": _when(booking),
            "place": booking.session.room.place,
            "preparation": preparation or "-",
            "code": order.checkin_code,
        },
        dedupe=f":{booking.public_id}",
    )


def order_cancelled(*, order: LabOrder, refund: bool) -> None:
    text = (
        gettext_noop("[ihospital] %(items)s cancelled. The payment is being refunded.")
        if refund
        else gettext_noop("[ihospital] %(items)s cancelled.")
    )
    _send(order=order, event="cancelled", text=text, params={"items": _names(order)})


# --- results and reports (报告) ----------------------------------------------------------------------
REPORT_TITLES = {
    "ready": gettext_noop("Your report is ready"),
    "critical_patient": gettext_noop("Please contact the hospital"),
    "critical_doctor": gettext_noop("Critical value"),
}


def result_ready(*, report: Any, order: LabOrder) -> None:
    """The patient: the report of their order is out (message centre and SMS, once per report)."""
    message = Phrase(
        gettext_noop("[ihospital] The report of %(items)s for %(name)s is ready. Read it in the app."),
        params={"items": report.title, "name": order.visit_person.name},
    )
    notification_send(
        user=order.visit_person.account,
        kind="report.ready",
        title=Phrase(REPORT_TITLES["ready"]),
        body=message,
        link=reverse("labs:report", args=[report.public_id]),
        dedupe_key=f"report:{report.public_id}:ready",
        sms_text=message,
    )


def critical_to_patient(*, report: Any, order: LabOrder) -> None:
    """The patient of a critical value: contact the hospital now (the value itself is the doctor's to explain)."""
    message = Phrase(
        gettext_noop(
            "[ihospital] A result of %(items)s for %(name)s needs attention at once. Please call the hospital "
            "or come to the emergency department now; your doctor has been told."
        ),
        params={"items": report.title, "name": order.visit_person.name},
    )
    notification_send(
        user=order.visit_person.account,
        kind="report.critical",
        title=Phrase(REPORT_TITLES["critical_patient"]),
        body=message,
        link=reverse("labs:report", args=[report.public_id]),
        dedupe_key=f"report:{report.public_id}:critical",
        sms_text=message,
    )


def critical_to_doctor(*, alert: Any, order: LabOrder) -> None:
    """The ordering doctor, at once: a message (with SMS) and an alert on his open desk, after commit."""
    doctor = order.doctor
    params = {"name": order.visit_person.name, "summary": alert.summary}
    text = gettext_noop("[ihospital] Critical value for %(name)s: %(summary)s. Acknowledge it in the app.")
    notification_send(
        user=doctor,
        kind="report.critical_alert",
        title=Phrase(REPORT_TITLES["critical_doctor"]),
        body=Phrase(text, params=params),
        link=reverse("labs:critical_alert", args=[alert.public_id]),
        dedupe_key=f"critical_alert:{alert.public_id}",
        sms_text=Phrase(text, params=params),
    )
    with override(doctor.reading_language):
        desk_text = gettext("Critical value for %(name)s: %(summary)s") % params
    realtime.publish_on_commit(desk_group(doctor.public_id.hex), {"type": "desk.update", "alert": desk_text})
