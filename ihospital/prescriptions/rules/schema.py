"""The shape of the prescription rule files (``data/*.json``), validated by pydantic through ``core.rulefiles``.

Pure: no database. ``drugs.json`` is read first; the other files are validated with its codes in the
context (``{"codes": ingredient and class codes, "classes": class codes, "products": generic names}``) so a
typo in a code is refused at load, with the file and JSON path named.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from ihospital.core.rulefiles import RuleModel

Severity = Literal["block", "warn", "info"]
Version = Annotated[str, StringConstraints(pattern=r"^\d{4}\.\d{1,4}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,59}$")]
ProductName = Annotated[str, StringConstraints(min_length=1, max_length=60)]
IcdPrefix = Annotated[str, StringConstraints(pattern=r"^[A-Z]([0-9]{1,2}(\.[0-9A-Za-z]{1,4})?)?$")]
Number = Annotated[float, Field(ge=0, allow_inf_nan=False)]

# The units a dose range may be written in: masses and IU convert by the product's strength; the others
# count what the package counts (a puff is 吸, 揿 or 喷; a drop is 0.05 ml; 次 is one application).
MASS_UNITS = {"mg": 1.0, "g": 1000.0, "μg": 0.001}
COUNT_UNITS = {"片", "粒", "袋", "丸", "支", "瓶", "ml", "吸", "揿", "喷", "滴", "次", "单位"}
DoseUnit = Literal["mg", "g", "μg", "单位", "片", "粒", "袋", "丸", "支", "ml", "吸", "揿", "喷", "滴", "次"]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


Text = Annotated[str, StringConstraints(max_length=400), AfterValidator(_not_blank)]


def _range(values: list[float]) -> list[float]:
    if values[0] > values[1]:
        raise ValueError(f"the lowest value {values[0]:g} is above the highest {values[1]:g}")
    if values[1] <= 0:
        raise ValueError("the highest value must be above 0")
    return values


Range = Annotated[list[Number], Field(min_length=2, max_length=2), AfterValidator(_range)]


def _known(info: ValidationInfo, key: str, values: list[str], what: str) -> None:
    known = (info.context or {}).get(key)
    if known is None:
        return
    unknown = [value for value in values if value not in known]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r} (not in drugs.json)")


class RuleFile(RuleModel):
    version: Version
    about: str = ""


class Named(RuleModel):
    zh: Text
    en: Text


# --- drugs.json -------------------------------------------------------------------------------------------
class Ingredient(Named):
    classes: list[Code] = []


class DrugMap(RuleFile):
    classes: dict[Code, Named]
    ingredients: dict[Code, Ingredient]
    products: dict[ProductName, Annotated[list[Code], Field(min_length=1)]]

    @model_validator(mode="after")
    def _codes_known(self) -> DrugMap:
        clash = sorted(set(self.classes) & set(self.ingredients))
        if clash:
            raise ValueError(f"{clash[0]!r} is both a class and an ingredient")
        for code, ingredient in self.ingredients.items():
            for name in ingredient.classes:
                if name not in self.classes:
                    raise ValueError(f"ingredient {code!r} names an unknown class {name!r}")
        for product, codes in self.products.items():
            for code in codes:
                if code not in self.ingredients:
                    raise ValueError(f"product {product!r} names an unknown ingredient {code!r}")
        return self


# --- online.json ------------------------------------------------------------------------------------------
class OnlineRules(RuleFile):
    severity: Severity = "block"
    controlled_classes: dict[Annotated[str, StringConstraints(min_length=1, max_length=4)], Named]
    controlled_ingredients: dict[Code, str] = {}
    forbidden_antibiotic_grades: dict[Annotated[str, StringConstraints(pattern=r"^[1-3]$")], Named]
    special_use_ingredients: list[Code] = []

    @model_validator(mode="after")
    def _classes_known(self, info: ValidationInfo) -> OnlineRules:
        for code, klass in self.controlled_ingredients.items():
            if klass not in self.controlled_classes:
                raise ValueError(f"ingredient {code!r} names an unknown controlled class {klass!r}")
        _known(info, "codes", [*self.controlled_ingredients, *self.special_use_ingredients], "ingredient")
        return self


# --- supply.json ------------------------------------------------------------------------------------------
class SupplyRules(RuleFile):
    too_many_items: Severity
    too_many_days: Severity
    quantity_above_need: Severity
    quantity_tolerance_packages: Annotated[int, Field(ge=0, le=100)]
    quantity_below_need: Severity


# --- doses.json -------------------------------------------------------------------------------------------
class AgeBand(RuleModel):
    ages: Range  # [from, to) in years
    per_dose: Range
    per_day: Range


class ChildDoses(RuleModel):
    per_kg_dose: Range | None = None
    per_kg_day: Range | None = None
    bands: list[AgeBand] = []

    @model_validator(mode="after")
    def _something(self) -> ChildDoses:
        if self.per_kg_dose is None and self.per_kg_day is None and not self.bands:
            raise ValueError("give per_kg_dose/per_kg_day or age bands")
        return self


class ProductDoses(RuleModel):
    unit: DoseUnit
    per_dose: Range
    per_day: Range
    child: ChildDoses | None = None


class Frequency(Named):
    per_day: Annotated[float, Field(gt=0, le=24, allow_inf_nan=False)]
    once: bool = False  # one administration in all, whatever the days (st: "now")


class DoseRules(RuleFile):
    above_max: Severity
    far_above_max: Severity
    far_above_factor: Annotated[float, Field(gt=1, le=10)]
    impossible_factor: Annotated[float, Field(gt=1, le=1000)]
    below_min: Severity
    child_unsuitable: Severity
    child_unchecked: Severity
    guardian_missing: Severity
    frequencies: dict[Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,8}$")], Frequency]
    routes: dict[Code, Named]
    forms: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=20)], Annotated[list[Code], Field(min_length=1)]
    ]
    products: dict[ProductName, ProductDoses]

    @model_validator(mode="after")
    def _routes_and_products_known(self, info: ValidationInfo) -> DoseRules:
        for form, routes in self.forms.items():
            for route in routes:
                if route not in self.routes:
                    raise ValueError(f"form {form!r} names an unknown route {route!r}")
        _known(info, "products", list(self.products), "product")
        return self


# --- allergies.json ---------------------------------------------------------------------------------------
class CrossReaction(Named):
    allergy: Code
    drug: Code
    severity: Severity
    source: Text


class AllergyRules(RuleFile):
    same_ingredient: Severity
    same_group: Severity
    unrecognised: Severity
    groups: list[Code]
    cross: list[CrossReaction] = []
    aliases: dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], Code] = {}

    @model_validator(mode="after")
    def _codes_known(self, info: ValidationInfo) -> AllergyRules:
        _known(info, "classes", self.groups, "class")
        _known(info, "classes", [c for entry in self.cross for c in (entry.allergy, entry.drug)], "class")
        _known(info, "codes", list(self.aliases.values()), "code")
        return self


# --- duplicates.json --------------------------------------------------------------------------------------
class DuplicateRules(RuleFile):
    same_ingredient: Severity
    classes: dict[Code, Severity]

    @model_validator(mode="after")
    def _codes_known(self, info: ValidationInfo) -> DuplicateRules:
        _known(info, "classes", list(self.classes), "class")
        return self


# --- interactions.json ------------------------------------------------------------------------------------
class Interaction(Named):
    a: Code
    b: Code
    severity: Severity
    source: Text
    routes: Literal["systemic", "any"] = "systemic"


class InteractionRules(RuleFile):
    pairs: Annotated[list[Interaction], Field(min_length=1)]

    @field_validator("pairs")
    @classmethod
    def _each_pair_once(cls, pairs: list[Interaction], info: ValidationInfo) -> list[Interaction]:
        first: dict[frozenset[str], int] = {}
        for index, pair in enumerate(pairs):
            _known(info, "codes", [pair.a, pair.b], "code")
            key = frozenset((pair.a, pair.b))
            if key in first:
                raise ValueError(f"pairs[{first[key]}] and [{index}] are the same pair ({pair.a} + {pair.b})")
            first[key] = index
        return pairs


# --- pregnancy.json ---------------------------------------------------------------------------------------
class Caution(Named):
    match: Code
    severity: Severity
    source: Text
    routes: Literal["systemic", "any"] = "any"  # "systemic": not for eye drops, sprays or creams


class PregnancyRules(RuleFile):
    pregnancy: list[Caution]
    lactation: list[Caution]

    @model_validator(mode="after")
    def _codes_known(self, info: ValidationInfo) -> PregnancyRules:
        _known(info, "codes", [c.match for c in (*self.pregnancy, *self.lactation)], "code")
        return self


# --- indications.json -------------------------------------------------------------------------------------
class IndicationRules(RuleFile):
    missing: Severity
    codes: dict[Code, Annotated[list[IcdPrefix], Field(min_length=1)]]

    @model_validator(mode="after")
    def _codes_known(self, info: ValidationInfo) -> IndicationRules:
        _known(info, "codes", list(self.codes), "code")
        return self


ICD_CODE = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,8})?$")
