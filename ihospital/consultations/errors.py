from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class ConsultationError:
    CHECK_IN_NOT_OPEN = ErrorCode(
        "consultation.check_in_not_open",
        _("The waiting room opens %(minutes)s minutes before your slot, at %(opens)s."),
        status=409,
    )
    CHECK_IN_CLOSED = ErrorCode(
        "consultation.check_in_closed", _("Check-in for this slot has closed. Please book again."), status=409
    )
    NOT_CHECKABLE = ErrorCode(
        "consultation.not_accepted", _("Only an accepted booking can enter the waiting room."), status=409
    )
    IDENTITY_CHECK_REQUIRED = ErrorCode(
        "consultation.identity_check_required",
        _("Confirm your identity (password or TOTP) before starting a consultation."),
        status=403,
    )
    DOCTOR_BUSY = ErrorCode(
        "consultation.doctor_busy", _("Finish the current consultation before calling the next patient."), status=409
    )
    QUEUE_EMPTY = ErrorCode("consultation.queue_empty", _("Nobody is waiting."), status=409)
    NOT_RINGING = ErrorCode(
        "consultation.not_ringing",
        _("The doctor is not calling you right now. Please stay in the waiting room."),
        status=409,
    )
    NOT_IN_PROGRESS = ErrorCode("consultation.not_in_progress", _("This consultation is not in progress."), status=409)
    MESSAGE_INVALID = ErrorCode(
        "consultation.message_invalid", _("A message must be 1 to %(limit)s characters."), status=422
    )
    REFERRAL_REASON_REQUIRED = ErrorCode(
        "consultation.referral_reason_required", _("Give the reason for the in-person referral."), status=422
    )
    BAD_FRAME = ErrorCode("consultation.bad_frame", _("The message could not be understood."), status=400)
    RECORDING_CLOSED = ErrorCode(
        "consultation.recording_closed", _("This recording is closed and accepts no more chunks."), status=409
    )
    CHUNK_INVALID = ErrorCode("consultation.chunk_invalid", _("The recording chunk is invalid."), status=422)
