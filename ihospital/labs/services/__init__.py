"""Lab/exam order writes. Split by stage: ordering (doctor, signed), payment, booking a time, cancelling,
progress at the hospital (check-in, performed, reported), the HIS's answers, reminders, and the exam rooms'
sessions (hospital administrator)."""

from ihospital.labs.services.booking import lab_order_book, lab_order_rebook
from ihospital.labs.services.cancel import lab_order_cancel
from ihospital.labs.services.critical import critical_alert_acknowledge
from ihospital.labs.services.ordering import DOCUMENT_TYPE, OrderInput, lab_orders_place, order_payload
from ihospital.labs.services.payment import BACK_FROM_CASHIER, lab_order_checkout
from ihospital.labs.services.progress import lab_order_check_in, lab_order_perform, lab_order_report
from ihospital.labs.services.reminders import lab_bookings_remind_due
from ihospital.labs.services.report_fetch import (
    key_images_fetch,
    report_fetch,
    reports_poll_due,
    reports_sync,
    reports_sync_due,
    reports_sync_soon,
)
from ihospital.labs.services.results import Applied, report_apply, report_apply_in_person
from ihospital.labs.services.sessions import (
    RoomInput,
    Timetable,
    check_session,
    exam_room_create,
    exam_session_create,
    exam_session_set_capacity,
    exam_session_set_open,
    exam_sessions_generate,
)

__all__ = [
    "Applied",
    "critical_alert_acknowledge",
    "key_images_fetch",
    "report_apply",
    "report_apply_in_person",
    "report_fetch",
    "reports_poll_due",
    "reports_sync",
    "reports_sync_due",
    "reports_sync_soon",
    "BACK_FROM_CASHIER",
    "DOCUMENT_TYPE",
    "OrderInput",
    "RoomInput",
    "Timetable",
    "check_session",
    "exam_room_create",
    "exam_session_create",
    "exam_session_set_capacity",
    "exam_session_set_open",
    "exam_sessions_generate",
    "lab_bookings_remind_due",
    "lab_order_book",
    "lab_order_cancel",
    "lab_order_check_in",
    "lab_order_checkout",
    "lab_order_perform",
    "lab_order_rebook",
    "lab_order_report",
    "lab_orders_place",
    "order_payload",
]
