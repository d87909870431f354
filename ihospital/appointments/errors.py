from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class AppointmentError:
    INVALID = ErrorCode("appointment.invalid", _("Please correct the highlighted fields."), status=422)
    SLOT_FULL = ErrorCode("appointment.slot_full", _("This session is fully booked."), status=409)
    SLOT_TAKEN = ErrorCode("appointment.slot_taken", _("This time slot was just taken. Choose another."), status=409)
    NOT_ONLINE = ErrorCode("appointment.not_online", _("This session is not offered online."), status=409)
    SESSION_STOPPED = ErrorCode(
        "appointment.schedule_stopped", _("This session has been cancelled (停诊)."), status=409
    )
    NOT_YET_OPEN = ErrorCode(
        "appointment.not_yet_open", _("Booking opens %(days)s days before the session."), status=409
    )
    CLOSED = ErrorCode(
        "appointment.booking_closed", _("Booking closes %(minutes)s minutes before the slot."), status=409
    )
    ALREADY_BOOKED = ErrorCode(
        "appointment.already_booked", _("This visit person already has a booking in this session."), status=409
    )
    TIME_CONFLICT = ErrorCode(
        "appointment.time_conflict",
        _("This visit person already has a booking at an overlapping time (%(when)s)."),
        status=409,
    )
    AGE_NOT_SEEN = ErrorCode(
        "appointment.age_not_seen", _("This department does not see patients of this age."), status=409
    )
    TOO_MANY_ATTACHMENTS = ErrorCode(
        "appointment.too_many_attachments", _("At most %(limit)s files can be attached."), status=409
    )
    CANCEL_TOO_LATE = ErrorCode(
        "appointment.cancel_too_late",
        _("An accepted booking can be cancelled only until %(hours)s hours before the slot."),
        status=409,
    )
    NOT_PAYABLE = ErrorCode("appointment.not_payable", _("This booking is no longer awaiting payment."), status=409)
