"""The engine: validate a draft, then run every rule family over it and collect the findings.

``check(draft, drugs=…, today=…)`` is pure: the rule book is loaded and indexed once (``book.rulebook``),
the drugs' packaging texts are parsed once per strength, and a check only looks things up. Input no
prescription can have (an unknown drug, a unit the drug does not come in, an impossible dose, a negative
or huge quantity) raises ``DomainError(PrescriptionRuleError.…)`` before any rule runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.conf import settings

from ihospital.core.errors import DomainError
from ihospital.integrations.his.base import Drug
from ihospital.prescriptions.errors import PrescriptionRuleError
from ihospital.prescriptions.rules import families
from ihospital.prescriptions.rules.book import Product, Rulebook, RuleVersion, rulebook
from ihospital.prescriptions.rules.findings import RANK, Both, Finding, Severity
from ihospital.prescriptions.rules.inputs import Draft, Item, Patient
from ihospital.prescriptions.rules.packaging import Packaging, PackagingError, parse
from ihospital.prescriptions.rules.schema import Frequency

MAX_DAYS = 366  # beyond a year a "days" value is a typing mistake, whatever the rules allow
SYSTEMIC_ROUTES = frozenset({"po", "sl", "buccal", "sc"})


@dataclass(frozen=True)
class Line:
    """One item, resolved: its drug, rule data and dose in the rule file's unit."""

    index: int
    item: Item
    drug: Drug
    product: Product
    packaging: Packaging
    frequency: Frequency
    dose: float  # per administration, in product.doses.unit
    quantity: int  # packages: as entered, or worked out
    needed: int | None  # packages the dose, frequency and days need (None: cannot be worked out)
    name: Both

    @property
    def route_group(self) -> str:
        return "systemic" if self.item.route in SYSTEMIC_ROUTES else self.item.route


@dataclass(frozen=True)
class Context:
    book: Rulebook
    lines: tuple[Line, ...]
    patient: Patient
    age_years: float
    diagnoses: tuple[str, ...]

    def version(self, family: str) -> str:
        return str(self.book.versions[family])


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]
    versions: Mapping[str, RuleVersion]  # every rule file that ran
    quantities: tuple[int, ...]  # packages per item, as checked

    @property
    def blocked(self) -> bool:
        return any(f.severity is Severity.BLOCK for f in self.findings)

    @property
    def needs_reason(self) -> bool:
        return any(f.severity is Severity.WARN for f in self.findings)


def check(draft: Draft, *, drugs: Mapping[str, Drug], today: date) -> CheckResult:
    """Run every rule family over ``draft``; ``drugs`` are the HIS catalogue entries by code.

    Raises ``DomainError`` with a ``PrescriptionRuleError`` code for input no prescription can have.
    """
    book = rulebook()
    age = _age_years(draft.patient, today)
    if not draft.items:
        raise DomainError(PrescriptionRuleError.NO_ITEMS)
    lines = tuple(_line(book, index, item, drugs) for index, item in enumerate(draft.items))
    diagnoses = tuple(code.strip().upper() for code in draft.diagnoses if code.strip())
    context = Context(book=book, lines=lines, patient=draft.patient, age_years=age, diagnoses=diagnoses)
    findings = [finding for run in families.ALL for finding in run(context)]
    findings.sort(key=lambda f: (RANK[f.severity], f.items or (-1,), f.rule))
    return CheckResult(
        findings=tuple(findings), versions=dict(book.versions), quantities=tuple(line.quantity for line in lines)
    )


def quantity(item: Item, drug: Drug) -> int | None:
    """Packages that ``item``'s dose × frequency × days needs of ``drug``; None when it cannot be worked out."""
    line = _line(rulebook(), 0, replace(item, quantity=item.quantity or 1), {drug.code: drug})
    return line.needed


def _age_years(patient: Patient, today: date) -> float:
    if patient.birth_date > today:
        raise DomainError(PrescriptionRuleError.INVALID_PATIENT, problem="birth date in the future")
    if patient.weight_kg is not None and not 0.3 <= float(patient.weight_kg) <= 400:
        raise DomainError(PrescriptionRuleError.INVALID_PATIENT, problem=f"weight {patient.weight_kg} kg")
    if patient.sex == "male" and (patient.pregnant or patient.lactating):
        raise DomainError(PrescriptionRuleError.INVALID_PATIENT, problem="pregnancy or breastfeeding of a man")
    return (today - patient.birth_date).days / 365.25


def _line(book: Rulebook, index: int, item: Item, drugs: Mapping[str, Drug]) -> Line:
    drug = drugs.get(item.drug_code)
    if drug is None:
        raise DomainError(
            PrescriptionRuleError.UNKNOWN_DRUG, fields={f"items.{index}.drug_code": ""}, code=item.drug_code
        )
    name = _display(book, drug)
    product = book.products.get(drug.generic_name)
    try:
        packaging = parse(drug.strength, drug.package)
    except PackagingError:
        packaging = None
    if product is None or packaging is None:
        raise DomainError(PrescriptionRuleError.DRUG_WITHOUT_RULES, fields={f"items.{index}.drug_code": ""}, drug=name)
    frequency = book.doses.frequencies.get(item.frequency)
    if frequency is None:
        raise DomainError(
            PrescriptionRuleError.UNKNOWN_FREQUENCY,
            fields={f"items.{index}.frequency": ""},
            frequency=item.frequency,
            frequencies=", ".join(book.doses.frequencies),
        )
    routes = book.doses.forms.get(drug.form, list(book.doses.routes))
    if item.route not in routes:
        raise DomainError(
            PrescriptionRuleError.ROUTE_MISMATCH,
            fields={f"items.{index}.route": ""},
            drug=name,
            route=item.route,
            routes=", ".join(routes),
        )
    dose = _dose(book, index, item, product, packaging, name)
    if not isinstance(item.days, int) or isinstance(item.days, bool) or not 1 <= item.days <= MAX_DAYS:
        raise DomainError(
            PrescriptionRuleError.INVALID_DAYS, fields={f"items.{index}.days": ""}, drug=name, max=MAX_DAYS
        )
    needed = _needed(item, packaging, frequency)
    quantity = item.quantity if item.quantity is not None else needed
    ceiling = settings.PRESCRIPTION_MAX_PACKAGES
    if quantity is None:
        raise DomainError(PrescriptionRuleError.QUANTITY_REQUIRED, fields={f"items.{index}.quantity": ""}, drug=name)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= ceiling:
        raise DomainError(
            PrescriptionRuleError.INVALID_QUANTITY, fields={f"items.{index}.quantity": ""}, drug=name, max=ceiling
        )
    return Line(index, item, drug, product, packaging, frequency, dose, quantity, needed, name)


def _dose(book: Rulebook, index: int, item: Item, product: Product, packaging: Packaging, name: Both) -> float:
    unit = product.doses.unit
    units = tuple(dict.fromkeys((unit, *packaging.units())))
    amount = _number(item.dose)
    if amount is None or not math.isfinite(amount) or amount <= 0:
        raise DomainError(
            PrescriptionRuleError.IMPOSSIBLE_DOSE,
            fields={f"items.{index}.dose": ""},
            drug=name,
            dose=f"{item.dose} {item.dose_unit}",
        )
    converted = packaging.convert(amount, item.dose_unit, unit) if item.dose_unit in units else None
    if converted is None:
        raise DomainError(
            PrescriptionRuleError.UNIT_MISMATCH,
            fields={f"items.{index}.dose_unit": ""},
            drug=name,
            unit=item.dose_unit,
            units=", ".join(units),
        )
    factor = book.doses.impossible_factor
    if converted > factor * product.doses.per_dose[1]:
        raise DomainError(
            PrescriptionRuleError.IMPOSSIBLE_DOSE,
            fields={f"items.{index}.dose": ""},
            drug=name,
            dose=f"{item.dose} {item.dose_unit}",
        )
    return converted


def _number(value: object) -> float | None:
    """A dose as a float, or None for anything that is not a number (a bool, a text, a signalling NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return float(value)
    except (ValueError, OverflowError):
        return None


def _needed(item: Item, packaging: Packaging, frequency: Frequency) -> int | None:
    pieces = packaging.to_pieces(float(item.dose), item.dose_unit)
    if pieces is None:
        return None
    # less-than-daily frequencies still need whole administrations, not a per-day share
    administrations = 1 if frequency.once else math.ceil(frequency.per_day * item.days - 1e-9)
    return packaging.packages(pieces * max(1, administrations))


def _display(book: Rulebook, drug: Drug) -> Both:
    ingredients = book.drugs.products.get(drug.generic_name)
    if not ingredients:
        return Both(drug.generic_name, drug.generic_name)
    english = "/".join(book.drugs.ingredients[code].en for code in ingredients)
    return Both(f"{drug.generic_name} {drug.strength}", f"{english} {drug.strength} ({drug.generic_name})")
