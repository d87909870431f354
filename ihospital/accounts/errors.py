from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class AccountError:
    PHONE_INVALID = ErrorCode("account.phone_invalid", _("Enter a valid mainland China mobile number (11 digits)."))
    CODE_FORMAT = ErrorCode("account.sms_code_format", _("The code is 6 digits."))
    CODE_WRONG = ErrorCode(
        "account.sms_code_wrong", _("The code is not correct. %(remaining)s tries left."), status=400
    )
    CODE_EXPIRED = ErrorCode(
        "account.sms_code_expired", _("The code has expired or was already used. Ask for a new one."), status=400
    )
    SIGN_IN_LOCKED = ErrorCode(
        "account.sign_in_locked",
        _("Too many wrong codes. Sign-in for this number is locked for %(minutes)s minutes."),
        status=429,
    )
    RESEND_TOO_SOON = ErrorCode(
        "account.sms_resend_too_soon",
        _("A code was just sent. Wait %(seconds)s seconds before asking again."),
        status=429,
    )
    RESEND_LIMIT = ErrorCode(
        "account.sms_hourly_limit",
        _("Too many codes were sent to this number. Try again in an hour."),
        status=429,
    )
    CREDENTIALS_WRONG = ErrorCode("account.credentials_wrong", _("Wrong user name or password."), status=401)
    STAFF_LOCKED = ErrorCode(
        "account.staff_locked", _("Too many failed sign-ins. This account is locked for 15 minutes."), status=429
    )
    ACCOUNT_DISABLED = ErrorCode("account.disabled", _("This account is disabled."), status=403)


class VisitPersonError:
    INVALID = ErrorCode("visit_person.invalid", _("Please correct the highlighted fields."), status=422)
    ID_NUMBER_INVALID = ErrorCode(
        "visit_person.id_number_invalid", _("This is not a valid resident ID number."), status=422
    )
    DUPLICATE = ErrorCode(
        "visit_person.duplicate", _("A visit person with this ID number is already on your account."), status=409
    )
    LIMIT_REACHED = ErrorCode(
        "visit_person.limit_reached", _("An account can manage at most %(limit)s visit persons."), status=409
    )
    GUARDIAN_REQUIRED = ErrorCode(
        "visit_person.guardian_required", _("A child under 6 needs a guardian's name and ID number."), status=422
    )
    SELF_EXISTS = ErrorCode(
        "visit_person.self_exists", _("Your account already has a visit person marked as yourself."), status=409
    )
