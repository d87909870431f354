"""The rule book: every rule file of ``data/`` validated, cross-checked and indexed once.

``rulebook()`` loads the shipped files on first use and keeps them (the system check ``prescriptions.E001``
loads them at start-up, so a broken file stops ``manage check`` and ``serve``); a check then only looks
things up. Each file's ``version`` and the SHA-256 of its bytes are kept so a check can record exactly which
rules ran, even if someone edited a file without raising its version.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from ihospital.core.rulefiles import RuleModel, RulesError, load_rules
from ihospital.prescriptions.rules.schema import (
    AllergyRules,
    Caution,
    DoseRules,
    DrugMap,
    DuplicateRules,
    IndicationRules,
    Interaction,
    InteractionRules,
    Named,
    OnlineRules,
    PregnancyRules,
    ProductDoses,
    RuleFile,
    SupplyRules,
)

DEFAULT_DIRECTORY = Path(__file__).resolve().parent / "data"
SEVERITY_RANK = {"block": 0, "warn": 1, "info": 2}

# family → (file name, model); drugs.json comes first: the others are validated against its codes.
FAMILIES: dict[str, tuple[str, type[RuleFile]]] = {
    "drugs": ("drugs.json", DrugMap),
    "online": ("online.json", OnlineRules),
    "supply": ("supply.json", SupplyRules),
    "doses": ("doses.json", DoseRules),
    "allergies": ("allergies.json", AllergyRules),
    "duplicates": ("duplicates.json", DuplicateRules),
    "interactions": ("interactions.json", InteractionRules),
    "pregnancy": ("pregnancy.json", PregnancyRules),
    "indications": ("indications.json", IndicationRules),
}

M = TypeVar("M", bound=RuleModel)


@dataclass(frozen=True)
class RuleVersion:
    version: str  # as the file declares it
    sha256: str  # of the file's bytes

    def __str__(self) -> str:
        return f"{self.version}+{self.sha256[:12]}"


@dataclass(frozen=True)
class Product:
    """A catalogue product (by generic name) with everything the checks look up, computed once."""

    name: str
    ingredients: tuple[str, ...]
    classes: frozenset[str]
    keys: frozenset[str]  # ingredients and classes: what interaction and caution entries match
    doses: ProductDoses
    indications: tuple[str, ...]  # ICD-10 prefixes
    pregnancy: tuple[Caution, ...]
    lactation: tuple[Caution, ...]


@dataclass(frozen=True)
class Rulebook:
    versions: dict[str, RuleVersion]
    drugs: DrugMap
    online: OnlineRules
    supply: SupplyRules
    doses: DoseRules
    allergies: AllergyRules
    duplicates: DuplicateRules
    interactions: InteractionRules
    pregnancy: PregnancyRules
    indications: IndicationRules
    products: dict[str, Product] = field(default_factory=dict)
    # code → [(other code, pair)], both directions; a pair of one code with itself is listed once
    pairs_by_code: dict[str, list[tuple[str, Interaction]]] = field(default_factory=dict)
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # folded name or alias → ingredient/class codes

    def name_of(self, code: str) -> Named:
        """The zh/en name of an ingredient or class code."""
        return self.drugs.ingredients.get(code) or self.drugs.classes[code]

    def resolve(self, text: str) -> tuple[str, ...]:
        """An allergy as written ("青霉素", "Amoxicillin", "阿莫西林胶囊", "nsaids") → its codes; () if unknown."""
        return self.names.get(_fold(text), ())


def rulebook(directory: Path | str | None = None) -> Rulebook:
    """The rule book of ``directory`` (default: the shipped ``data/``), loaded once; raises ``RulesError``."""
    return _load(Path(directory if directory is not None else DEFAULT_DIRECTORY).resolve())


@lru_cache(maxsize=4)
def _load(directory: Path) -> Rulebook:
    versions: dict[str, RuleVersion] = {}
    models: dict[str, Any] = {}
    context: dict[str, Any] = {}
    for family, (name, model) in FAMILIES.items():
        path = directory / name
        models[family] = load_rules(path, model, context=context)
        versions[family] = RuleVersion(models[family].version, hashlib.sha256(path.read_bytes()).hexdigest())
        if family == "drugs":
            drugs: DrugMap = models[family]
            context = {
                "codes": frozenset(drugs.ingredients) | frozenset(drugs.classes),
                "classes": frozenset(drugs.classes),
                "products": frozenset(drugs.products),
            }
    book = Rulebook(versions=versions, **models)
    _check_coverage(directory, book)
    book.products.update(_products(book))
    book.pairs_by_code.update(_pairs(book.interactions.pairs))
    book.names.update(_names(book))
    return book


def _check_coverage(directory: Path, book: Rulebook) -> None:
    missing = sorted(set(book.drugs.products) - set(book.doses.products))
    if missing:
        raise RulesError(directory / "doses.json", [("products", f"no dose entry for {missing[:5]}")])
    without = [name for name in book.drugs.products if not _indications(book, book.drugs.products[name])]
    if without:
        raise RulesError(directory / "indications.json", [("codes", f"no indication for the products {without[:5]}")])


def _indications(book: Rulebook, ingredients: Iterable[str]) -> tuple[str, ...]:
    prefixes: list[str] = []
    for code in ingredients:
        for key in (code, *book.drugs.ingredients[code].classes):
            prefixes += book.indications.codes.get(key, [])
    return tuple(dict.fromkeys(prefixes))


def _products(book: Rulebook) -> dict[str, Product]:
    products = {}
    for name, ingredients in book.drugs.products.items():
        classes = frozenset(c for code in ingredients for c in book.drugs.ingredients[code].classes)
        keys = classes | frozenset(ingredients)
        products[name] = Product(
            name=name,
            ingredients=tuple(ingredients),
            classes=classes,
            keys=keys,
            doses=book.doses.products[name],
            indications=_indications(book, ingredients),
            pregnancy=most_specific([c for c in book.pregnancy.pregnancy if c.match in keys], ingredients),
            lactation=most_specific([c for c in book.pregnancy.lactation if c.match in keys], ingredients),
        )
    return products


def most_specific(cautions: list[Caution], ingredients: Iterable[str]) -> tuple[Caution, ...]:
    """The ingredient-level cautions, plus class-level ones only when more severe than every ingredient-level one."""
    named = set(ingredients)
    specific = [c for c in cautions if c.match in named]
    if not specific:
        return tuple(cautions)
    worst = min(SEVERITY_RANK[c.severity] for c in specific)
    return tuple(specific + [c for c in cautions if c.match not in named and SEVERITY_RANK[c.severity] < worst])


def _pairs(pairs: list[Interaction]) -> dict[str, list[tuple[str, Interaction]]]:
    index: dict[str, list[tuple[str, Interaction]]] = defaultdict(list)
    for pair in pairs:
        index[pair.a].append((pair.b, pair))
        if pair.b != pair.a:
            index[pair.b].append((pair.a, pair))
    return dict(index)


def _names(book: Rulebook) -> dict[str, tuple[str, ...]]:
    names: dict[str, tuple[str, ...]] = {}
    for code, named in [*book.drugs.classes.items(), *book.drugs.ingredients.items()]:
        for text in (code, named.zh, named.en):
            names.setdefault(_fold(text), (code,))
    for product, ingredients in book.drugs.products.items():
        names.setdefault(_fold(product), tuple(ingredients))
    for alias, code in book.allergies.aliases.items():
        names[_fold(alias)] = (code,)
    return names


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())
