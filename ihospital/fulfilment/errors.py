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
    CALLBACK_MISMATCH = ErrorCode(
        "fulfilment.callback_mismatch", _("The courier callback contradicts the shipment it names."), status=409
    )
