from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class SignatureError:
    PAYLOAD_INVALID = ErrorCode(
        "signature.payload_invalid",
        _("This document cannot be signed: only text, whole numbers, true/false, null, lists and objects."),
    )
    SIGNER_NOT_ALLOWED = ErrorCode(
        "signature.signer_not_allowed", _("Only doctors and pharmacists sign documents."), status=403
    )
    NO_CERTIFICATE = ErrorCode(
        "signature.no_certificate",
        _("You have no signing certificate. Ask the administrator to issue one."),
        status=409,
    )
    CERTIFICATE_REVOKED = ErrorCode(
        "signature.certificate_revoked",
        _("Your signing certificate has been revoked; it can no longer sign."),
        status=409,
    )
    CERTIFICATE_EXPIRED = ErrorCode(
        "signature.certificate_expired",
        _("Your signing certificate is not valid now (it has expired or is not valid yet)."),
        status=409,
    )
    PIN_REQUIRED = ErrorCode("signature.pin_required", _("Enter your signing PIN."))
    PIN_NOT_SET = ErrorCode("signature.pin_not_set", _("Set your signing PIN first (Signing PIN page)."), status=409)
    PIN_WRONG = ErrorCode("signature.pin_wrong", _("The signing PIN is not correct. %(remaining)s tries left."))
    PIN_LOCKED = ErrorCode(
        "signature.pin_locked",
        _("Too many wrong signing PINs. Signing is locked for %(minutes)s minutes."),
        status=429,
    )
    PIN_WEAK = ErrorCode(
        "signature.pin_weak",
        _("The PIN must be 6 to 12 digits, not all the same digit and not a simple run like 123456."),
    )
    PIN_ALREADY_SET = ErrorCode(
        "signature.pin_already_set", _("Your signing PIN is already set: enter the current PIN to change it.")
    )
    ALREADY_SIGNED = ErrorCode(
        "signature.already_signed", _("This version of the document is already signed."), status=409
    )
    CA_UNAVAILABLE = ErrorCode(
        "signature.ca_unavailable", _("The certificate authority is not answering. Try again shortly."), status=503
    )
    CA_REFUSED = ErrorCode("signature.ca_refused", _("The certificate authority refused to sign."), status=502)
    IMPORT_INVALID = ErrorCode("signature.import_invalid", _("The certificates cannot be imported: %(reason)s"))


class VerificationResult:
    """What a verification found (not refusals: ``signature_verify`` reports them), by outcome code."""

    MESSAGES = {
        "signature.valid": _("The signature is valid."),
        "signature.digest_mismatch": _("The signed document no longer matches its recorded digest: it was altered."),
        "signature.document_changed": _("The document differs from the one that was signed."),
        "signature.algorithm_mismatch": _("The signature's algorithm is not the certificate's."),
        "signature.invalid": _("The signature does not match the document and certificate."),
        "signature.chain_invalid": _("The certificate does not lead to a trusted certificate authority."),
        "signature.certificate_expired_at_signing": _("The certificate was not valid when the document was signed."),
        "signature.certificate_revoked_at_signing": _("The certificate had been revoked when the document was signed."),
    }
