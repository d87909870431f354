"""The shape of ``data/symptom_rules.json`` (导诊 rules), validated by pydantic; ``guidance`` compiles it.

Pure: no database, no Django. ``load_rules(path, SymptomRules, context={"known_codes": …})`` (core.rulefiles)
checks a file against these models; with ``known_codes`` in the context a department code the hospital does
not have is refused too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from ihospital.core.rulefiles import RuleModel

MAX_WEIGHT = 10
# guidance looks this many characters back from a term for a negation cue, so a longer cue never fires.
NEGATION_WINDOW = 16


def normalize(text: str) -> str:
    """NFKC, case-folded, every run of non-letters/digits collapsed to one space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in folded)
    return " ".join(kept.split())


def _term(label: str) -> str:
    if not normalize(label):  # "  " or "！" would match everywhere (or nowhere): a typo, not a term
        raise ValueError(f"empty term {label!r}")
    return label


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


def _weights_in_range(terms: dict[str, int]) -> dict[str, int]:
    # Here rather than as a bound on each value so that the message names the term, not only its path.
    for label, weight in terms.items():
        if not 1 <= weight <= MAX_WEIGHT:
            raise ValueError(f"weight of {label!r} must be an integer from 1 to {MAX_WEIGHT}")
    return terms


def _repeated(labels: Collection[str]) -> list[str]:
    """The labels whose normalized form an earlier label already had ("Chest pain", "chest  pain")."""
    seen: set[str] = set()
    repeated = []
    for label in labels:
        key = normalize(label)
        if key in seen:
            repeated.append(label)
        seen.add(key)
    return repeated


# A department code as ``Department.code`` holds it (a slug of at most 40 characters), lower case.
DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Term = Annotated[str, StringConstraints(max_length=60), AfterValidator(_term)]
NegationCue = Annotated[str, StringConstraints(max_length=NEGATION_WINDOW - 1), AfterValidator(_term)]
# term → weight: 1-2 vague, 3 typical, 4 specific, 5 a named disease or test; 10 outranks every specialty.
TermWeights = Annotated[dict[Term, int], Field(min_length=1), AfterValidator(_weights_in_range)]
RedFlag = Annotated[list[Term], Field(min_length=1)]  # fires when all of its terms are present


class DepartmentRules(RuleModel):
    code: DepartmentCode
    name_zh: Annotated[str, StringConstraints(max_length=50), AfterValidator(_not_blank)]  # as Department's
    name_en: Annotated[str, StringConstraints(max_length=80), AfterValidator(_not_blank)]
    zh: TermWeights
    en: TermWeights

    @field_validator("code")
    @classmethod
    def _a_department_of_the_hospital(cls, code: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("known_codes")
        if known is not None and code not in known:
            raise ValueError(f"unknown department code {code!r}")
        return code

    @model_validator(mode="after")
    def _each_term_once(self) -> DepartmentRules:
        # Chinese and English terms share one table: a term listed twice would count its weight twice.
        repeated = _repeated([*self.zh, *self.en])
        if repeated:
            raise ValueError(f"term {repeated[0]!r} is listed twice")
        return self


class Negations(RuleModel):
    zh: list[NegationCue] = []
    en: list[NegationCue] = []


class SymptomRules(RuleModel):
    about: str = ""
    negations: Negations = Negations()
    departments: Annotated[list[DepartmentRules], Field(min_length=1)]  # in tie-break order
    red_flags: list[RedFlag]

    @field_validator("departments")
    @classmethod
    def _each_department_once(cls, departments: list[DepartmentRules]) -> list[DepartmentRules]:
        first: dict[str, int] = {}
        for index, rule in enumerate(departments):
            if rule.code in first:
                raise ValueError(
                    f"department {rule.code!r} is listed twice: departments[{first[rule.code]}] and [{index}]"
                )
            first[rule.code] = index
        return departments

    @field_validator("red_flags")
    @classmethod
    def _each_red_flag_once(cls, flags: list[list[str]]) -> list[list[str]]:
        first: dict[frozenset[str], int] = {}
        for index, flag in enumerate(flags):
            if _repeated(flag):
                raise ValueError(f"red_flags[{index}] lists {_repeated(flag)[0]!r} twice")
            key = frozenset(normalize(term) for term in flag)
            if key in first:
                raise ValueError(f"red_flags[{first[key]}] and [{index}] are the same red flag")
            first[key] = index
        return flags
