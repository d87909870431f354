from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class PaymentError:
    NOT_FOUND = ErrorCode("payment.not_found", _("This payment was not found."), status=404)
    ILLEGAL_STATE = ErrorCode(
        "payment.illegal_state", _("This is not possible for a payment in its current state (%(current)s)."), status=409
    )
    INVALID_AMOUNT = ErrorCode("payment.invalid_amount", _("The amount must be more than zero."), status=422)
    EXPIRED = ErrorCode("payment.expired", _("The time to pay has run out."), status=409)
    ORDER_EXISTS = ErrorCode("payment.order_exists", _("A payment for this is already waiting to be paid."), status=409)
    PROVIDER_UNAVAILABLE = ErrorCode(
        "payment.provider_unavailable",
        _("The payment service is not available right now. Please try again in a moment."),
        status=503,
    )
    REFUND_EXCEEDS_PAID = ErrorCode(
        "payment.refund_exceeds_paid", _("At most %(available)s can still be refunded."), status=409
    )
    REFUND_KEY_REUSED = ErrorCode(
        "payment.refund_key_reused", _("This refund key was already used for a different refund."), status=409
    )
    # Why a notification was rejected (stored on the notification and in the audit trail).
    SIGNATURE_INVALID = ErrorCode("payment.signature_invalid", _("The signature is not valid."), status=401)
    MALFORMED = ErrorCode("payment.malformed_notification", _("The notification could not be read."), status=400)
    UNKNOWN_PROVIDER = ErrorCode("payment.unknown_provider", _("Unknown payment provider."), status=404)
    MERCHANT_MISMATCH = ErrorCode(
        "payment.merchant_mismatch", _("The notification is for another merchant."), status=400
    )
    AMOUNT_MISMATCH = ErrorCode("payment.amount_mismatch", _("The amount does not match the order."), status=400)
    STATE_UNKNOWN = ErrorCode(
        "payment.state_unknown", _("The notification reports a state that is not understood."), status=400
    )
    HIS_NOTE_REQUIRED = ErrorCode(
        "payment.his_note_required", _("Say how the difference was resolved (a note is required)."), status=422
    )
    HIS_ALREADY_RESOLVED = ErrorCode(
        "payment.his_already_resolved", _("This difference is already resolved."), status=409
    )
    HIS_UNAVAILABLE = ErrorCode(
        "payment.his_unavailable",
        _("The hospital information system cannot be reached; the reconciliation will run again later."),
        status=503,
    )
