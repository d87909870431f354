"""A rule check's input built from a version (the visit person's facts, the doctor's, the record's
diagnoses), and a check of the current draft without storing it (the htmx check endpoint)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ihospital.core.time import local, now
from ihospital.integrations.his.base import Drug
from ihospital.prescriptions import rules
from ihospital.prescriptions.models import PrescriptionItem, PrescriptionVersion
from ihospital.prescriptions.selectors import catalogue
from ihospital.records import icd

_SEPARATORS = re.compile(r"[,，、;；/\s]+")


def words(text: str) -> tuple[str, ...]:
    """A free-text list (``青霉素、磺胺``) as its entries."""
    return tuple(w for w in _SEPARATORS.split(text or "") if w)


def chronic_codes(text: str) -> tuple[str, ...]:
    """ICD-10 codes of a visit person's chronic conditions written as codes or by their Chinese names."""
    codes = []
    for word in words(text):
        found = icd.lookup(word)
        if found is None:
            found = next((d for d in icd.search(word, limit=5) if d.name_zh == word), None)
        if found is not None:
            codes.append(found.code)
    return tuple(dict.fromkeys(codes))


def rule_patient(version: PrescriptionVersion) -> rules.Patient:
    person = version.prescription.visit_person
    return rules.Patient(
        birth_date=person.birth_date,
        sex="female" if person.sex == "female" else "male",
        weight_kg=version.weight_kg,
        pregnant=version.pregnant,
        lactating=version.lactating,
        allergy_drugs=words(person.allergies),
        chronic_conditions=chronic_codes(person.chronic_conditions),
        long_term_eligible=version.long_term,
        guardian_present=version.guardian_present,
    )


def rule_item(item: PrescriptionItem) -> rules.Item:
    return rules.Item(
        drug_code=item.drug_code,
        dose=item.dose,
        dose_unit=item.dose_unit,
        frequency=item.frequency,
        route=item.route,
        days=item.days,
        quantity=item.quantity,
        generic_name=item.drug_name,
    )


def run_check(
    version: PrescriptionVersion, items: tuple[rules.Item, ...], drugs: Mapping[str, Drug]
) -> rules.CheckResult:
    """The rule check of ``items`` for ``version``'s patient and diagnoses, as of today in hospital time.
    Raises the engine's coded errors for input no prescription can have."""
    draft = rules.Draft(
        items=items,
        patient=rule_patient(version),
        diagnoses=tuple(d["code"] for d in version.diagnoses),
    )
    return rules.check(draft, drugs=drugs, today=local(now()).date())


def finding_key(finding: Mapping[str, Any]) -> str:
    """A finding's identity within a version, for the doctor's reason: its rule and the items concerned."""
    items = ",".join(str(i) for i in finding.get("items", []))
    return f"{finding['rule']}@{items}"


def check_now(version: PrescriptionVersion) -> rules.CheckResult | None:
    """The checks of the version's items as they are now (None without items). Raises the engine's coded
    errors, and prescription.catalogue_unavailable."""
    items = tuple(rule_item(row) for row in version.items.all())  # in position order (Meta.ordering), prefetched
    if not items:
        return None
    return run_check(version, items, catalogue.catalogue())
