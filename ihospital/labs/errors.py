from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class LabError:
    ILLEGAL_TRANSITION = ErrorCode(
        "lab.illegal_transition", _("This order cannot do that in its current state (%(current)s)."), status=409
    )
    NOT_YOUR_PATIENT = ErrorCode(
        "lab.not_your_patient", _("Only the doctor of this consultation orders its tests."), status=403
    )
    NOT_STARTED = ErrorCode(
        "lab.consultation_not_started", _("Tests are ordered once the consultation has started."), status=409
    )
    NO_SIGNED_DIAGNOSIS = ErrorCode(
        "lab.no_signed_diagnosis",
        _("Sign the medical record with a diagnosis before ordering tests: the order names one of its diagnoses."),
        status=409,
    )
    DIAGNOSIS_NOT_IN_RECORD = ErrorCode(
        "lab.diagnosis_not_in_record", _("Choose one of the diagnoses of the signed record.")
    )
    NO_ITEMS = ErrorCode("lab.no_items", _("Choose at least one test or exam."))
    UNKNOWN_ITEM = ErrorCode("lab.unknown_item", _("Not in the hospital's catalogue: %(codes)s."))
    TOO_MANY_ITEMS = ErrorCode("lab.too_many_items", _("Order at most %(limit)s items at once."))
    QUESTION_REQUIRED = ErrorCode("lab.question_required", _("State the clinical question (up to 500 characters)."))
    CATALOGUE_UNAVAILABLE = ErrorCode(
        "lab.catalogue_unavailable",
        _("The hospital's exam catalogue cannot be reached just now. Try again in a minute."),
        status=503,
    )
    NO_BOOKING_NEEDED = ErrorCode(
        "lab.no_booking_needed", _("This order needs no booked time: come during the hours shown."), status=409
    )
    NOT_PAID = ErrorCode("lab.not_paid", _("Pay for the order before booking a time."), status=409)
    ALREADY_BOOKED = ErrorCode(
        "lab.already_booked", _("A time is already booked for this order: change it instead."), status=409
    )
    NOT_BOOKED = ErrorCode("lab.not_booked", _("No time is booked for this order."), status=409)
    SESSION_FULL = ErrorCode("lab.session_full", _("This time is fully booked. Choose another."), status=409)
    SESSION_UNAVAILABLE = ErrorCode(
        "lab.session_unavailable", _("This time cannot be booked for this order. Choose one of the times offered.")
    )
    SAME_SESSION = ErrorCode("lab.same_session", _("This order is already booked at that time."), status=409)
    CHANGE_CLOSED = ErrorCode(
        "lab.change_closed",
        _("The booked time can no longer be changed or cancelled online: call the hospital."),
        status=409,
    )
    UNKNOWN_CHECKIN_CODE = ErrorCode("lab.unknown_checkin_code", _("No order has this check-in code."), status=404)
    ALREADY_CHECKED_IN = ErrorCode("lab.already_checked_in", _("This order was already checked in."), status=409)
    NOT_TODAY = ErrorCode("lab.not_today", _("This order is booked for %(date)s, not today."), status=409)
    CANCEL_REASON = ErrorCode("lab.cancel_reason", _("Give a reason (up to 300 characters)."))
    SESSION_INVALID = ErrorCode("lab.session_invalid", _("Check the session's room, times and capacity."))
    CAPACITY_BELOW_BOOKED = ErrorCode(
        "lab.capacity_below_booked",
        _("%(booked)s places are already booked: the capacity cannot be lower."),
        status=409,
    )
    ROOM_INVALID = ErrorCode("lab.room_invalid", _("Check the room's name, modality and place."))


class ReportError:
    """Results and reports (报告): what the HIS sends that we refuse, and what a reader or doctor may not do."""

    UNKNOWN_ORDER = ErrorCode(
        "report.unknown_order", _("No order of this hospital has the request number %(request_no)s."), status=404
    )
    PATIENT_MISMATCH = ErrorCode(
        "report.patient_mismatch", _("The report names another patient than the order %(request_no)s."), status=409
    )
    VALUE_WITHOUT_UNIT = ErrorCode(
        "report.value_without_unit", _("The result %(item)s is a number without its unit: not accepted."), status=422
    )
    BAD_FLAG = ErrorCode("report.bad_flag", _("The result %(item)s has an unknown flag %(flag)s."), status=422)
    EMPTY = ErrorCode("report.empty", _("The report has no results."), status=422)
    ORDER_HAS_ANOTHER_REPORT = ErrorCode(
        "report.order_has_another_report",
        _("The order %(request_no)s already has a report under another number."),
        status=409,
    )
    ALREADY_ACKNOWLEDGED = ErrorCode(
        "report.already_acknowledged", _("This critical value was already acknowledged."), status=409
    )
    NOTE_REQUIRED = ErrorCode("report.note_required", _("Say what was done (up to 300 characters)."))
