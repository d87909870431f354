from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class AccountError:
    INVALID_LANGUAGE = ErrorCode("account.invalid_language", _("This language is not offered."))
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
    CONSENT_REQUIRED = ErrorCode(
        "account.consent_required",
        _(
            "Read the privacy notice (version %(version)s) and consent to it, and separately to the processing "
            "of your health information, to sign in."
        ),
        status=403,
    )
    CREDENTIALS_WRONG = ErrorCode("account.credentials_wrong", _("Wrong user name or password."), status=401)
    STAFF_LOCKED = ErrorCode(
        "account.staff_locked", _("Too many failed sign-ins. This account is locked for 15 minutes."), status=429
    )
    # The slower limit for one user name from all addresses together: the same code, a different wait.
    STAFF_LOCKED_EVERYWHERE = ErrorCode(
        "account.staff_locked",
        _("Too many failed sign-ins for this account. Try again in %(minutes)s minutes."),
        status=429,
    )
    SMS_ADDRESS_LIMIT = ErrorCode(
        "account.sms_address_limit",
        _("Too many codes were asked for from your network. Try again in %(minutes)s minutes."),
        status=429,
    )
    SMS_BUSY = ErrorCode(
        "account.sms_busy",
        _("Too many codes are being sent right now. Try again in %(seconds)s seconds."),
        status=429,
    )
    ACCOUNT_DISABLED = ErrorCode("account.disabled", _("This account is disabled."), status=403)
    IDENTITY_CHECK_FAILED = ErrorCode(
        "account.identity_check_failed",
        _("Identity check failed: the password or code is not correct. %(remaining)s tries left."),
        status=400,
    )
    IDENTITY_CHECK_LOCKED = ErrorCode(
        "account.identity_check_locked",
        _("Too many failed identity checks. Try again in %(minutes)s minutes."),
        status=429,
    )
    IDENTITY_CHECK_INPUT = ErrorCode(
        "account.identity_check_input",
        _("Enter either your password or a code from your authenticator app."),
        status=422,
    )
    IDENTITY_CHECK_REQUIRED = ErrorCode(
        "account.identity_check_required",
        _("Confirm your identity (password or authenticator code) first; it counts for %(minutes)s minutes."),
        status=403,
    )
    TOTP_NOT_ENROLLED = ErrorCode(
        "account.totp_not_enrolled",
        _("No authenticator app is set up for this account. Use your password, or set one up on the security page."),
        status=409,
    )
    TOTP_ENROLMENT_NOT_STARTED = ErrorCode(
        "account.totp_enrolment_not_started", _("Start setting up an authenticator app first."), status=409
    )
    TOTP_CODE_WRONG = ErrorCode(
        "account.totp_code_wrong",
        _("This code does not match. Check that the phone's clock is right and enter the current code."),
        status=400,
    )
    TOTP_WAIT = ErrorCode("account.totp_wait", _("Wait %(seconds)s seconds before entering another code."), status=429)
    TOTP_PASSWORD_REQUIRED = ErrorCode(
        "account.totp_password_required",
        _("Enter your password to set up or replace the authenticator app."),
        status=422,
    )

    SECOND_FACTOR_REQUIRED = ErrorCode(
        "account.second_factor_required",
        _("Enter the current code of your authenticator app (or one of your recovery codes) as otp_code."),
        status=401,
    )
    SECOND_FACTOR_NOT_SET_UP = ErrorCode(
        "account.second_factor_not_set_up",
        _("Your role signs in with an authenticator app. Sign in once on the web to set it up."),
        status=403,
    )
    SECOND_FACTOR_WRONG = ErrorCode(
        "account.second_factor_wrong",
        _("This code is not correct. %(remaining)s tries left."),
        status=401,
    )
    SIGN_IN_STEP_EXPIRED = ErrorCode(
        "account.sign_in_step_expired", _("The sign-in took too long. Enter your password again."), status=401
    )
    PASSWORD_EXPIRED = ErrorCode(
        "account.password_expired",
        _("Your password is older than %(days)s days. Change it on the web sign-in page first."),
        status=403,
    )
    PASSWORD_WRONG = ErrorCode("account.password_wrong", _("Your current password is not correct."), status=400)

    # Back office (security administrators managing accounts)
    CHANGE_INVALID = ErrorCode("account.change_invalid", _("Please correct the highlighted fields."), status=422)
    ROLE_INVALID = ErrorCode(
        "account.role_invalid",
        _("Patient accounts and staff accounts cannot be turned into one another."),
        status=422,
    )
    OWN_ACCOUNT = ErrorCode(
        "account.own_account",
        _("You cannot change your own role or deactivate your own account; ask another security administrator."),
        status=403,
    )
    PASSWORD_INVALID = ErrorCode("account.password_invalid", _("This password is not allowed: %(reasons)s"), status=422)
    PASSWORD_NOT_USED = ErrorCode(
        "account.password_not_used", _("Patients sign in with an SMS code; they have no password."), status=409
    )
    ALREADY_ACTIVE = ErrorCode("account.already_active", _("This account is already active."), status=409)
    NO_SECOND_FACTOR = ErrorCode(
        "account.no_second_factor", _("This account has no authenticator or recovery codes to reset."), status=409
    )
    ALREADY_INACTIVE = ErrorCode("account.already_inactive", _("This account is already deactivated."), status=409)


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
    NAME_INVALID = ErrorCode(
        "visit_person.name_invalid",
        _(
            "Enter the name as on the ID card: 2–40 Chinese characters or Latin letters; a middle dot (·) or "
            "single spaces may separate its parts."
        ),
        status=422,
    )
    ID_NUMBER_MISMATCH = ErrorCode(
        "visit_person.id_number_mismatch",
        _("This ID number is not the one registered for this visit person. Enter their full ID number."),
        status=422,
    )
    SELF_EXISTS = ErrorCode(
        "visit_person.self_exists", _("Your account already has a visit person marked as yourself."), status=409
    )
