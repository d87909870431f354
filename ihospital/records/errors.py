from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class RecordError:
    NOT_EDITABLE = ErrorCode(
        "record.signed",
        _("This version of the record is signed and can no longer be changed. Start an amendment instead."),
        status=409,
    )
    STALE = ErrorCode(
        "record.stale",
        _(
            "The record was saved elsewhere (another tab or window) after you opened it. "
            "Reload it to see the latest text."
        ),
        status=409,
    )
    UNKNOWN_DIAGNOSIS = ErrorCode("record.unknown_icd_code", _("Unknown ICD-10 code: %(code)s."))
    NO_DIAGNOSIS = ErrorCode("record.no_diagnosis", _("Add at least one diagnosis before signing."))
    NO_COMPLAINT = ErrorCode("record.no_complaint", _("Write the chief complaint before signing."))
    NOT_YOURS = ErrorCode(
        "record.not_your_patient", _("Only the doctor of this consultation writes its record."), status=403
    )
    NOT_STARTED = ErrorCode(
        "record.consultation_not_started", _("The record is written once the consultation has started."), status=409
    )
    DRAFT_EXISTS = ErrorCode("record.draft_exists", _("An amendment is already being written."), status=409)
    NOTHING_SIGNED = ErrorCode("record.nothing_signed", _("Only a signed record can be amended."), status=409)
    NOT_DELETABLE = ErrorCode("record.not_deletable", _("Medical records are never deleted."), status=403)
    NOT_YOUR_DEPARTMENT = ErrorCode(
        "record.not_your_department", _("You can share a template only with a department you work in."), status=403
    )
    TEMPLATE_NAME = ErrorCode("record.template_name", _("Give the template a name (at most 60 characters)."))
    PHRASE_TEXT = ErrorCode("record.phrase_text", _("A phrase is 1 to 300 characters."))
    TOO_LONG = ErrorCode("record.too_long", _("%(field)s is too long (at most %(limit)s characters)."))
    TEMPLATE_NOT_YOURS = ErrorCode(
        "record.template_not_yours",
        _("Only its author retires a template; a department's template also a hospital administrator."),
        status=403,
    )
    PHRASE_NOT_YOURS = ErrorCode("record.phrase_not_yours", _("Only its author retires a common phrase."), status=403)
