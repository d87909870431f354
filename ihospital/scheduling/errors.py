from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class ScheduleError:
    INVALID = ErrorCode("schedule.invalid", _("Please correct the highlighted fields."), status=422)
    DUPLICATE = ErrorCode("schedule.duplicate", _("This doctor already has this session."), status=409)
    ALREADY_STOPPED = ErrorCode("schedule.already_stopped", _("This session is already cancelled."), status=409)
