"""The rule families: each reads its rule file (through the context's rule book) and returns findings.

Every message is an English msgid (translated in ``locale/zh_Hans``) with the values filled in, so the
doctor reads e.g. "阿莫西林胶囊 0.5g：单次剂量 2000 mg 超过成人最高单次剂量 1000 mg。" and the pharmacist sees
the same sentence with the rule and the rule file's version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_noop as _

from ihospital.prescriptions.rules.book import SEVERITY_RANK
from ihospital.prescriptions.rules.findings import Both, Finding, Severity
from ihospital.prescriptions.rules.schema import Interaction, ProductDoses

if TYPE_CHECKING:
    from ihospital.prescriptions.rules.engine import Context, Line

Family = Callable[["Context"], Iterator[Finding]]


def _finding(context: Context, family: str, rule: str, severity: str, message: str, **params) -> Finding:
    items = params.pop("items", ())
    source = params.pop("source", "")
    return Finding(
        rule=f"{family}/{rule}",
        severity=Severity(severity),
        version=context.version(family),
        message=message,
        params=params,
        items=tuple(items),
        source=source,
    )


def _age(years: float) -> Both:
    if years >= 2:
        return Both(f"{int(years)}岁", f"{int(years)} years")
    months = int(years * 12)
    return Both(f"{months}个月", f"{months} months")


# --- online-forbidden drugs ---------------------------------------------------------------------------------
def online(context: Context) -> Iterator[Finding]:
    rules = context.book.online
    for line in context.lines:
        klass = line.drug.controlled_class or next(
            (rules.controlled_ingredients[c] for c in line.product.ingredients if c in rules.controlled_ingredients), ""
        )
        if klass:
            named = rules.controlled_classes.get(klass)
            kind = Both(named.zh, named.en) if named else Both(klass, klass)
            yield _finding(
                context,
                "online",
                "controlled",
                rules.severity,
                _("%(drug)s is a %(kind)s: controlled drugs are never prescribed online."),
                drug=line.name,
                kind=kind,
                items=[line.index],
            )
        grade = str(line.drug.antibiotic_grade)
        special = rules.forbidden_antibiotic_grades.get(grade)
        if special is None and any(c in rules.special_use_ingredients for c in line.product.ingredients):
            special = rules.forbidden_antibiotic_grades.get("3")
        if special is not None:
            yield _finding(
                context,
                "online",
                "special_use_antibiotic",
                rules.severity,
                _("%(drug)s is a %(kind)s: special-use antibiotics are never prescribed online."),
                drug=line.name,
                kind=Both(special.zh, special.en),
                items=[line.index],
            )


# --- how many drugs, how many days ----------------------------------------------------------------------------
def supply(context: Context) -> Iterator[Finding]:
    rules = context.book.supply
    count, most = len(context.lines), settings.PRESCRIPTION_MAX_ITEMS
    if count > most:
        yield _finding(
            context,
            "supply",
            "too_many_items",
            rules.too_many_items,
            _("The prescription has %(count)s drugs; at most %(max)s are allowed on one prescription."),
            count=count,
            max=most,
        )
    for line in context.lines:
        yield from _days(context, line)
        yield from _quantity(context, line)


def _days(context: Context, line: Line) -> Iterator[Finding]:
    rules, days = context.book.supply, line.item.days
    chronic = next(
        (code for code in context.patient.chronic_conditions if _suits(line.product.indications, code.strip().upper())),
        None,
    )
    if chronic and context.patient.long_term_eligible:
        most, rule = settings.PRESCRIPTION_MAX_DAYS_LONG_TERM, "days_long_term"
        message = _("%(drug)s is prescribed for %(days)s days; a long-term prescription covers at most %(max)s days.")
    elif chronic:
        most, rule = settings.PRESCRIPTION_MAX_DAYS_CHRONIC, "days_chronic"
        message = _(
            "%(drug)s is prescribed for %(days)s days; for the chronic condition %(condition)s at most %(max)s days "
            "are allowed."
        )
    else:
        most, rule = settings.PRESCRIPTION_MAX_DAYS, "days"
        message = _("%(drug)s is prescribed for %(days)s days; a prescription covers at most %(max)s days.")
    if days > most:
        yield _finding(
            context,
            "supply",
            rule,
            rules.too_many_days,
            message,
            drug=line.name,
            days=days,
            max=most,
            condition=chronic or "",
            items=[line.index],
        )


def _quantity(context: Context, line: Line) -> Iterator[Finding]:
    rules = context.book.supply
    if line.needed is None or line.item.quantity is None:
        return
    package = line.packaging.package_unit
    if line.quantity > line.needed + rules.quantity_tolerance_packages:
        yield _finding(
            context,
            "supply",
            "quantity_above_need",
            rules.quantity_above_need,
            _("%(quantity)s %(package)s of %(drug)s is more than the %(needed)s %(package)s the dose and days need."),
            quantity=line.quantity,
            package=package,
            drug=line.name,
            needed=line.needed,
            items=[line.index],
        )
    elif line.quantity < line.needed:
        yield _finding(
            context,
            "supply",
            "quantity_below_need",
            rules.quantity_below_need,
            _("%(quantity)s %(package)s of %(drug)s is less than the %(needed)s %(package)s the dose and days need."),
            quantity=line.quantity,
            package=package,
            drug=line.name,
            needed=line.needed,
            items=[line.index],
        )


# --- doses ----------------------------------------------------------------------------------------------------
def doses(context: Context) -> Iterator[Finding]:
    rules, age = context.book.doses, context.age_years
    if age < settings.PRESCRIPTION_GUARDIAN_UNDER_YEARS and not context.patient.guardian_present:
        yield _finding(
            context,
            "doses",
            "guardian_missing",
            rules.guardian_missing,
            _("The patient is %(age)s old: a child under %(min)s years needs a guardian recorded as present."),
            age=_age(age),
            min=settings.PRESCRIPTION_GUARDIAN_UNDER_YEARS,
        )
    for line in context.lines:
        if age < settings.PRESCRIPTION_ADULT_DOSE_FROM_YEARS and not line.drug.children_ok:
            yield _finding(
                context,
                "doses",
                "child_unsuitable",
                rules.child_unsuitable,
                _("%(drug)s is not marked as suitable for children; the patient is %(age)s old."),
                drug=line.name,
                age=_age(age),
                items=[line.index],
            )
        limits = _limits(context, line)
        if isinstance(limits, Finding):
            yield limits
            continue
        yield from _compare(context, line, *limits)


def _limits(context: Context, line: Line) -> tuple[list[float], list[float], Both] | Finding:
    """The (per-dose, per-day, basis) ranges for this patient, or the finding that they cannot be checked."""
    doses: ProductDoses = line.product.doses
    age = context.age_years
    if age >= settings.PRESCRIPTION_ADULT_DOSE_FROM_YEARS:
        return doses.per_dose, doses.per_day, Both("成人", "adults")
    child = doses.child
    weight = float(context.patient.weight_kg) if context.patient.weight_kg is not None else None
    if child is not None and weight is not None and (child.per_kg_dose or child.per_kg_day):
        per_dose = _scaled(child.per_kg_dose, weight, doses.per_dose)
        per_day = _scaled(child.per_kg_day, weight, doses.per_day)
        return per_dose, per_day, Both(f"体重{weight:g} kg的儿童", f"a child of {weight:g} kg")
    band = next((b for b in (child.bands if child else []) if b.ages[0] <= age < b.ages[1]), None)
    if band is not None:
        low, high = band.ages
        return band.per_dose, band.per_day, Both(f"{low:g}–{high:g}岁儿童", f"children aged {low:g} to {high:g}")
    severity = context.book.doses.child_unchecked
    if child is not None and (child.per_kg_dose or child.per_kg_day):
        return _finding(
            context,
            "doses",
            "child_weight_missing",
            severity,
            _("Record the child's weight: the children's dose of %(drug)s is given per kg."),
            drug=line.name,
            items=[line.index],
        )
    return _finding(
        context,
        "doses",
        "child_unchecked",
        severity,
        _("The rules have no children's dose of %(drug)s for a patient aged %(age)s: check the dose by hand."),
        drug=line.name,
        age=_age(age),
        items=[line.index],
    )


def _scaled(per_kg: list[float] | None, weight: float, adult: list[float]) -> list[float]:
    if per_kg is None:
        return adult
    return [min(per_kg[0] * weight, adult[1]), min(per_kg[1] * weight, adult[1])]


_ABOVE = {
    "per_dose": _(
        "A single dose of %(dose)s %(unit)s of %(drug)s is above the highest of %(limit)s %(unit)s for %(basis)s."
    ),
    "per_day": _(
        "The daily dose of %(dose)s %(unit)s of %(drug)s (%(frequency)s) is above the highest of %(limit)s %(unit)s "
        "for %(basis)s."
    ),
}
_BELOW = {
    "per_dose": _(
        "A single dose of %(dose)s %(unit)s of %(drug)s is below the usual lowest of %(limit)s %(unit)s for %(basis)s."
    ),
    "per_day": _(
        "The daily dose of %(dose)s %(unit)s of %(drug)s (%(frequency)s) is below the usual lowest of %(limit)s "
        "%(unit)s for %(basis)s."
    ),
}


def _compare(
    context: Context, line: Line, per_dose: list[float], per_day: list[float], basis: Both
) -> Iterator[Finding]:
    rules, unit = context.book.doses, line.product.doses.unit
    checks = [("per_dose", line.dose, per_dose)]
    if line.frequency.per_day >= 1:  # weekly and every-other-day doses are judged per dose only
        checks.append(("per_day", line.dose * line.frequency.per_day, per_day))
    for kind, amount, (low, high) in checks:
        if amount > high * (1 + 1e-9):
            far = amount > high * rules.far_above_factor
            severity, rule = (rules.far_above_max, "far_above_max") if far else (rules.above_max, "above_max")
            message = _ABOVE[kind]
        elif amount < low * (1 - 1e-9):
            severity, rule = rules.below_min, "below_min"
            message = _BELOW[kind]
        else:
            continue
        yield _finding(
            context,
            "doses",
            f"{kind}_{rule}",
            severity,
            message,
            dose=round(amount, 4),
            unit=unit,
            drug=line.name,
            limit=high if rule != "below_min" else low,
            basis=basis,
            frequency=Both(line.frequency.zh, line.frequency.en),
            items=[line.index],
        )


# --- allergies ------------------------------------------------------------------------------------------------
def allergies(context: Context) -> Iterator[Finding]:
    book = context.book
    rules = book.allergies
    allergens: list[tuple[str, str]] = []  # (as written, code)
    for text in (*context.patient.allergy_drugs, *context.patient.allergy_classes):
        codes = book.resolve(text)
        if not codes:
            yield _finding(
                context,
                "allergies",
                "unrecognised",
                rules.unrecognised,
                _("The allergy %(allergen)s is not in the rules: check it against the drugs by hand."),
                allergen=text,
            )
        allergens += [(text, code) for code in codes]
    for line in context.lines:
        for text, code in allergens:
            finding = _allergy(context, line, text, code)
            if finding is not None:
                yield finding


def _allergy(context: Context, line: Line, text: str, code: str) -> Finding | None:
    book, rules = context.book, context.book.allergies
    allergen = Both(text, text) if _is_name(text) else _name(context, code)
    if code in line.product.ingredients:
        return _finding(
            context,
            "allergies",
            "same_ingredient",
            rules.same_ingredient,
            _("The patient is allergic to %(allergen)s, which %(drug)s contains."),
            allergen=allergen,
            drug=line.name,
            items=[line.index],
        )
    groups = {code} if code in book.drugs.classes else set(book.drugs.ingredients[code].classes)
    shared = sorted((groups & set(rules.groups) | ({code} & book.drugs.classes.keys())) & line.product.classes)
    if shared:
        return _finding(
            context,
            "allergies",
            "same_group",
            rules.same_group,
            _("The patient is allergic to %(allergen)s; %(drug)s belongs to the same group (%(group)s)."),
            allergen=allergen,
            drug=line.name,
            group=_name(context, shared[0]),
            items=[line.index],
        )
    crosses = [c for c in rules.cross if c.allergy in groups and c.drug in line.product.classes]
    if crosses:
        cross = min(crosses, key=lambda c: SEVERITY_RANK[c.severity])
        return _finding(
            context,
            "allergies",
            f"cross/{cross.allergy}+{cross.drug}",
            cross.severity,
            _("The patient is allergic to %(allergen)s and %(drug)s is one of the %(group)s: %(note)s"),
            allergen=allergen,
            drug=line.name,
            group=_name(context, cross.drug),
            note=Both(cross.zh, cross.en),
            items=[line.index],
            source=cross.source,
        )
    return None


def _is_name(text: str) -> bool:
    return not text.replace("_", "").isascii() or " " in text.strip()


def _name(context: Context, code: str) -> Both:
    named = context.book.name_of(code)
    return Both(named.zh, named.en)


# --- duplicate therapy --------------------------------------------------------------------------------------
def duplicates(context: Context) -> Iterator[Finding]:
    rules = context.book.duplicates
    lines = context.lines
    for i, first in enumerate(lines):
        for second in lines[i + 1 :]:
            if first.route_group != second.route_group:
                continue
            same = [c for c in first.product.ingredients if c in second.product.ingredients]
            if same:
                yield _finding(
                    context,
                    "duplicates",
                    "same_ingredient",
                    rules.same_ingredient,
                    _("%(first)s and %(second)s both contain %(what)s."),
                    first=first.name,
                    second=second.name,
                    what=_name(context, same[0]),
                    items=[first.index, second.index],
                )
                continue
            shared = sorted(
                (c for c in first.product.classes & second.product.classes if c in rules.classes),
                key=lambda c: SEVERITY_RANK[rules.classes[c]],
            )
            if shared:
                yield _finding(
                    context,
                    "duplicates",
                    f"same_class/{shared[0]}",
                    rules.classes[shared[0]],
                    _("%(first)s and %(second)s are both %(what)s: one is usually enough."),
                    first=first.name,
                    second=second.name,
                    what=_name(context, shared[0]),
                    items=[first.index, second.index],
                )


# --- interactions -------------------------------------------------------------------------------------------
def interactions(context: Context) -> Iterator[Finding]:
    lines = context.lines
    for i, first in enumerate(lines):
        for second in lines[i + 1 :]:
            for pair in _matching(context, first, second):
                yield _finding(
                    context,
                    "interactions",
                    f"{pair.a}+{pair.b}",
                    pair.severity,
                    _("%(first)s with %(second)s: %(effect)s"),
                    first=first.name,
                    second=second.name,
                    effect=Both(pair.zh, pair.en),
                    items=[first.index, second.index],
                    source=pair.source,
                )


def _matching(context: Context, first: Line, second: Line) -> list[Interaction]:
    """The pairs that apply to two items: the most specific ones, and broader ones only if more severe."""
    systemic = first.route_group == "systemic" and second.route_group == "systemic"
    found: dict[int, tuple[int, Interaction]] = {}
    index = context.book.pairs_by_code
    for key in first.product.keys:
        for other, pair in index.get(key, ()):
            if other in second.product.keys and (systemic or pair.routes == "any"):
                # how specific: each side named as an ingredient (not a class) counts one
                found[id(pair)] = (_specificity(context, pair), pair)
    if not found:
        return []
    best = max(score for score, _pair in found.values())
    kept = [pair for score, pair in found.values() if score == best]
    worst = min(SEVERITY_RANK[p.severity] for p in kept)
    kept += [p for score, p in found.values() if score < best and SEVERITY_RANK[p.severity] < worst]
    return sorted(kept, key=lambda p: (SEVERITY_RANK[p.severity], p.a, p.b))


def _specificity(context: Context, pair: Interaction) -> int:
    ingredients = context.book.drugs.ingredients
    return int(pair.a in ingredients) + int(pair.b in ingredients)


# --- pregnancy and breastfeeding ----------------------------------------------------------------------------
def pregnancy(context: Context) -> Iterator[Finding]:
    patient = context.patient
    for line in context.lines:
        systemic = line.route_group == "systemic"
        if patient.pregnant:
            for caution in line.product.pregnancy:
                if caution.routes == "systemic" and not systemic:
                    continue
                yield _finding(
                    context,
                    "pregnancy",
                    f"pregnancy/{caution.match}",
                    caution.severity,
                    _("%(drug)s in pregnancy: %(note)s"),
                    drug=line.name,
                    note=Both(caution.zh, caution.en),
                    items=[line.index],
                    source=caution.source,
                )
        if patient.lactating:
            for caution in line.product.lactation:
                if caution.routes == "systemic" and not systemic:
                    continue
                yield _finding(
                    context,
                    "pregnancy",
                    f"lactation/{caution.match}",
                    caution.severity,
                    _("%(drug)s while breastfeeding: %(note)s"),
                    drug=line.name,
                    note=Both(caution.zh, caution.en),
                    items=[line.index],
                    source=caution.source,
                )


# --- indications --------------------------------------------------------------------------------------------
def indications(context: Context) -> Iterator[Finding]:
    rules = context.book.indications
    for line in context.lines:
        if any(_suits(line.product.indications, code) for code in context.diagnoses):
            continue
        if context.diagnoses:
            yield _finding(
                context,
                "indications",
                "missing",
                rules.missing,
                _("%(drug)s does not suit any of the record's diagnoses (%(diagnoses)s)."),
                drug=line.name,
                diagnoses=", ".join(context.diagnoses),
                items=[line.index],
            )
        else:
            yield _finding(
                context,
                "indications",
                "missing",
                rules.missing,
                _("The record has no diagnosis for %(drug)s."),
                drug=line.name,
                items=[line.index],
            )


def _suits(prefixes: tuple[str, ...], code: str) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


ALL: tuple[Family, ...] = (online, supply, doses, allergies, duplicates, interactions, pregnancy, indications)
