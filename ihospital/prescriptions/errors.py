from django.utils.translation import gettext_lazy as _

from ihospital.core.errors import ErrorCode


class PrescriptionRuleError:
    """What the rule checks refuse to check at all: input no prescription can have (the findings are the rest)."""

    NO_ITEMS = ErrorCode("prescription.no_items", _("Add at least one drug to the prescription."), status=422)
    UNKNOWN_DRUG = ErrorCode(
        "prescription.unknown_drug",
        _("Drug %(code)s is not in the hospital's drug catalogue."),
        status=422,
    )
    DRUG_WITHOUT_RULES = ErrorCode(
        "prescription.drug_without_rules",
        _("%(drug)s has no entry in the prescription rules yet; the pharmacy must add it before it can be prescribed."),
        status=422,
    )
    UNIT_MISMATCH = ErrorCode(
        "prescription.unit_mismatch",
        _("%(unit)s is not a unit of %(drug)s; use one of: %(units)s."),
        status=422,
    )
    IMPOSSIBLE_DOSE = ErrorCode(
        "prescription.impossible_dose",
        _("A dose of %(dose)s of %(drug)s is not possible: check the number and the unit."),
        status=422,
    )
    UNKNOWN_FREQUENCY = ErrorCode(
        "prescription.unknown_frequency",
        _("%(frequency)s is not a known frequency; use one of: %(frequencies)s."),
        status=422,
    )
    ROUTE_MISMATCH = ErrorCode(
        "prescription.route_mismatch",
        _("%(drug)s cannot be given by the route %(route)s; use one of: %(routes)s."),
        status=422,
    )
    INVALID_DAYS = ErrorCode(
        "prescription.invalid_days",
        _("The days of %(drug)s must be a whole number from 1 to %(max)s."),
        status=422,
    )
    INVALID_QUANTITY = ErrorCode(
        "prescription.invalid_quantity",
        _("The quantity of %(drug)s must be a whole number of packages from 1 to %(max)s."),
        status=422,
    )
    QUANTITY_REQUIRED = ErrorCode(
        "prescription.quantity_required",
        _("Enter the number of packages of %(drug)s: it cannot be worked out from the dose."),
        status=422,
    )
    INVALID_PATIENT = ErrorCode(
        "prescription.invalid_patient",
        _("The patient's details cannot be used for the checks: %(problem)s."),
        status=422,
    )


class PrescriptionError:
    """Refusals of the prescriptions app's services (writing, submitting, reviewing, releasing)."""

    NOT_DELETABLE = ErrorCode("prescription.not_deletable", _("Prescriptions are never deleted."), status=403)
    NOT_YOURS = ErrorCode(
        "prescription.not_your_patient", _("Only the doctor of this consultation writes its prescriptions."), status=403
    )
    NO_SIGNED_RECORD = ErrorCode(
        "prescription.no_signed_record",
        _("Sign the medical record with its diagnoses before writing a prescription."),
        status=409,
    )
    CONSULTATION_NOT_STARTED = ErrorCode(
        "prescription.consultation_not_started",
        _("A prescription is written once the consultation has started."),
        status=409,
    )
    OPEN_EXISTS = ErrorCode(
        "prescription.open_exists",
        _("This consultation already has a prescription being written or reviewed."),
        status=409,
    )
    NOT_EDITABLE = ErrorCode(
        "prescription.not_editable",
        _("This version of the prescription is signed and can no longer be changed."),
        status=409,
    )
    STALE = ErrorCode(
        "prescription.stale",
        _("The prescription was changed elsewhere (another tab or window) after you checked it. Reload it."),
        status=409,
    )
    TOO_MANY_ITEMS = ErrorCode(
        "prescription.too_many_items", _("A prescription has at most %(max)s drugs."), status=422
    )
    ITEM_NOT_FOUND = ErrorCode("prescription.item_not_found", _("That drug is not on this prescription."), status=404)
    BLOCKED = ErrorCode(
        "prescription.blocked",
        _("The prescription cannot be submitted: %(count)s check(s) block it. Change the drugs named."),
        status=422,
    )
    REASON_REQUIRED = ErrorCode(
        "prescription.reason_required",
        _("Write a reason for each warning before submitting (%(count)s missing)."),
        status=422,
    )
    REASON_TOO_LONG = ErrorCode(
        "prescription.reason_too_long", _("A reason is at most %(max)s characters."), status=422
    )
    INVALID_WEIGHT = ErrorCode(
        "prescription.invalid_weight", _("The weight must be between 0.5 and 300 kg."), status=422
    )
    NOT_SUBMITTED = ErrorCode(
        "prescription.not_submitted", _("This prescription is not waiting for a review."), status=409
    )
    ALREADY_REVIEWED = ErrorCode(
        "prescription.already_reviewed",
        _("Another pharmacist reviewed this prescription a moment ago."),
        status=409,
    )
    OWN_PRESCRIPTION = ErrorCode(
        "prescription.own_prescription",
        _("You wrote this prescription: another pharmacist must review it."),
        status=403,
    )
    NOT_PHARMACIST = ErrorCode("prescription.not_pharmacist", _("Only a pharmacist reviews prescriptions."), status=403)
    REJECT_REASON = ErrorCode(
        "prescription.reject_reason", _("Choose a reason for returning the prescription."), status=422
    )
    COMMENT_REQUIRED = ErrorCode(
        "prescription.comment_required",
        _("Write a comment for the doctor (at most 1000 characters)."),
        status=422,
    )
    NOT_REJECTED = ErrorCode(
        "prescription.not_rejected", _("Only a prescription returned by the pharmacist is revised."), status=409
    )
    NOT_APPROVED = ErrorCode(
        "prescription.not_approved", _("Only an approved prescription is released to the patient."), status=409
    )
    CATALOGUE_UNAVAILABLE = ErrorCode(
        "prescription.catalogue_unavailable",
        _("The hospital's drug catalogue cannot be reached just now. Try again in a minute."),
        status=503,
    )
    ILLEGAL_TRANSITION = ErrorCode(
        "prescription.illegal_transition",
        _("The prescription cannot move from its current state (%(current)s)."),
        status=409,
    )
