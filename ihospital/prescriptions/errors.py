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
