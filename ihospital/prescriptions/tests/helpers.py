"""The simulated HIS catalogue as ``Drug`` objects, and small builders for drafts."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from functools import lru_cache

from ihospital.integrations.his.base import Drug
from ihospital.integrations.his.simulated import seed
from ihospital.prescriptions import rules

TODAY = date(2026, 12, 7)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Drug]:
    """Every drug of the simulated HIS, by code, as the HIS client returns them."""
    drugs = {}
    for row in seed._drug_rows(random.Random(seed.SEED)):
        code, generic, trade, form, strength, package, unit, fen, controlled, grade, children = row
        drugs[code] = Drug(code, generic, trade, form, strength, package, unit, fen, controlled, grade, bool(children))
    return drugs


def drug(generic: str, strength: str | None = None) -> Drug:
    """The first catalogue entry of ``generic`` (of ``strength`` when given)."""
    for entry in catalogue().values():
        if entry.generic_name == generic and (strength is None or entry.strength == strength):
            return entry
    raise LookupError(f"{generic} {strength} is not in the simulated catalogue")


def item(generic, strength=None, dose=1, unit="片", frequency="qd", route="po", days=7, quantity=None) -> rules.Item:
    return rules.Item(drug(generic, strength).code, dose, unit, frequency, route, days, quantity)


def patient(age: float = 40, **facts) -> rules.Patient:
    born = TODAY - timedelta(days=math.ceil(age * 365.25))
    facts.setdefault("sex", "male")
    return rules.Patient(birth_date=born, **facts)


def check(items, *, who=None, diagnoses=("I10",), drugs=None) -> rules.CheckResult:
    draft = rules.Draft(items=tuple(items), patient=who or patient(), diagnoses=tuple(diagnoses))
    return rules.check(draft, drugs=drugs or catalogue(), today=TODAY)
