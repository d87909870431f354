"""Prescription rule checks (处方审核规则): a pure engine over versioned rule files, called by the prescriptions app.

Public interface::

    from ihospital.prescriptions import rules
    result = rules.check(rules.Draft(items=…, patient=…, diagnoses=…), drugs={code: his Drug}, today=…)
    result.findings   # each with .rule, .severity, .version, .explanation (in the active language)
    result.versions   # {family: RuleVersion}: which rule files ran
    rules.quantity(item, drug)  # packages the dose × frequency × days need

See docs/prescription-rules.md for the rule files and how to change them.
"""

from ihospital.prescriptions.rules.book import Rulebook, RuleVersion, rulebook
from ihospital.prescriptions.rules.engine import CheckResult, check, quantity
from ihospital.prescriptions.rules.findings import Both, Finding, Severity, render
from ihospital.prescriptions.rules.inputs import Draft, Item, Patient

__all__ = [
    "Both",
    "CheckResult",
    "Draft",
    "Finding",
    "Item",
    "Patient",
    "RuleVersion",
    "Rulebook",
    "Severity",
    "check",
    "quantity",
    "render",
    "rulebook",
]
