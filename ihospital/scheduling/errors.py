from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class ScheduleError:
    INVALID = ErrorCode("schedule.invalid", _("Please correct the highlighted fields."), status=422)
    DUPLICATE = ErrorCode("schedule.duplicate", _("This doctor already has this session."), status=409)
    ALREADY_STOPPED = ErrorCode("schedule.already_stopped", _("This session is already cancelled."), status=409)


class DepartmentError:
    INVALID = ErrorCode("department.invalid", _("Please correct the highlighted fields."), status=422)


class DoctorProfileError:
    INVALID = ErrorCode("doctor_profile.invalid", _("Please correct the highlighted fields."), status=422)
    FEE_INVALID = ErrorCode("doctor_fee.invalid", _("Please correct the highlighted fees."), status=422)


class GuidanceError:
    TEXT_TOO_LONG = ErrorCode(
        "guidance.text_too_long",
        _(
            "Please describe your symptoms in at most %(limit)s characters (this has %(length)s): "
            "the main complaint, since when, and what makes it better or worse."
        ),
        status=422,
    )
