from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class FulfilmentError:
    ADDRESS_INVALID = ErrorCode("fulfilment.address_invalid", _("Check the highlighted fields of the address."))
    # Field messages of ADDRESS_INVALID (only their text is used).
    ADDRESS_INVALID_NAME = _("Enter the recipient's name (Chinese characters or letters).")
    ADDRESS_INVALID_PHONE = _("Enter a valid mobile number.")
    ADDRESS_INVALID_PROVINCE = _("Choose a province.")
    ADDRESS_INVALID_PLACE = _("Enter 2 to 20 characters.")
    ADDRESS_INVALID_DETAIL = _("Enter the street, building and room (5 to 120 characters).")
    ADDRESS_LIMIT = ErrorCode(
        "fulfilment.address_limit", _("You can keep at most %(limit)s addresses. Retire one first."), status=409
    )
    ADDRESS_RETIRED = ErrorCode("fulfilment.address_retired", _("This address was removed."), status=409)
    PHARMACY_CLOSED = ErrorCode(
        "fulfilment.pharmacy_unavailable", _("This pharmacy does not hand out online prescriptions."), status=409
    )
    PICKUP_CODE_WRONG = ErrorCode(
        "fulfilment.pickup_code_wrong", _("This pickup code does not match the prescription."), status=400
    )
    PICKUP_CODE_LIMIT = ErrorCode(
        "fulfilment.pickup_code_limit",
        _("Too many wrong pickup codes. Try again in %(seconds)s seconds."),
        status=429,
    )
    PICKUP_CODE_UNKNOWN = ErrorCode(
        "fulfilment.pickup_code_unknown", _("No prescription waits for pickup with this code."), status=404
    )
    CALLBACK_SIGNATURE = ErrorCode(
        "fulfilment.callback_signature_invalid", _("The courier callback's signature is not valid."), status=401
    )
    CALLBACK_MALFORMED = ErrorCode("fulfilment.callback_malformed", _("The courier callback can't be read."))
    CALLBACK_UNKNOWN = ErrorCode(
        "fulfilment.callback_unknown_shipment", _("The courier callback names no shipment of ours."), status=404
    )
    CALLBACK_DUPLICATE = ErrorCode(
        "fulfilment.callback_duplicate", _("This courier update was received before; it is applied once."), status=200
    )
    CALLBACK_MISMATCH = ErrorCode(
        "fulfilment.callback_mismatch", _("The courier callback contradicts the shipment it names."), status=409
    )
    NOT_PAYABLE = ErrorCode(
        "fulfilment.not_payable", _("This prescription can no longer be paid (%(current)s)."), status=409
    )
    PAST_VALIDITY = ErrorCode(
        "fulfilment.past_validity", _("This prescription is past its validity and can no longer be paid."), status=409
    )
    CHOOSE_FIRST = ErrorCode(
        "fulfilment.choose_first", _("Choose delivery to an address or pickup at a pharmacy first."), status=409
    )
    ADDRESS_NEEDED = ErrorCode("fulfilment.address_needed", _("Choose the address to deliver to."))
    PHARMACY_NEEDED = ErrorCode("fulfilment.pharmacy_needed", _("Choose the pharmacy to pick up at."))
    CHOICE_LOCKED = ErrorCode(
        "fulfilment.choice_locked",
        _("The prescription is paid: delivery or pickup can no longer be changed."),
        status=409,
    )
    NOT_YOUR_PRESCRIPTION = ErrorCode(
        "fulfilment.not_prescriber", _("Only the doctor who wrote a prescription may void it."), status=403
    )
    VOID_REASON = ErrorCode("fulfilment.void_reason", _("Give the reason for voiding (2 to 300 characters)."))
    NOT_VOIDABLE = ErrorCode(
        "fulfilment.not_voidable",
        _("A prescription can be voided only before it is dispensed (it is %(current)s)."),
        status=409,
    )
    NOT_TRANSFERRED = ErrorCode(
        "fulfilment.not_transferred",
        _("The prescription has not reached the HIS pharmacy yet. Try again in a moment."),
        status=409,
    )
    WRONG_STATE = ErrorCode(
        "fulfilment.wrong_state",
        _("This is not possible in the prescription's current state (%(current)s)."),
        status=409,
    )
    NOT_DELIVERY = ErrorCode(
        "fulfilment.not_delivery", _("This prescription is to be picked up, not delivered."), status=409
    )
    NOT_FAILED = ErrorCode(
        "fulfilment.delivery_not_failed", _("Only a failed delivery is handed to the courier again."), status=409
    )
