"""Appointment writes. Split by stage: booking (hold + payment), review (doctor), cancellation/stops,
attachments and the sweepers that expire holds and reject unreviewed requests."""

from ihospital.appointments.services.booking import (
    BACK_FROM_CASHIER,
    BookingInput,
    appointment_book,
    appointment_checkout,
    booking_field_problems,
    check_bookable,
    check_not_known_sold_out,
)
from ihospital.appointments.services.files import appointment_attach
from ihospital.appointments.services.lifecycle import (
    appointment_cancel,
    appointment_cancel_by_hospital,
    appointment_expire_hold,
    appointments_expire_due_holds,
    appointments_reject_unreviewed,
)
from ihospital.appointments.services.review import appointment_accept, appointment_reject

__all__ = [
    "BACK_FROM_CASHIER",
    "BookingInput",
    "appointment_accept",
    "appointment_attach",
    "appointment_book",
    "appointment_cancel",
    "appointment_cancel_by_hospital",
    "appointment_checkout",
    "appointment_expire_hold",
    "appointment_reject",
    "appointments_expire_due_holds",
    "appointments_reject_unreviewed",
    "booking_field_problems",
    "check_bookable",
    "check_not_known_sold_out",
]
