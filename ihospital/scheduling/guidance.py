"""导诊 (symptom guidance): which departments fit a patient's own description of their symptoms.

The rules are data (``data/symptom_rules.json``): per department, Chinese and English terms with weights,
plus red-flag combinations that send the patient to the emergency department instead of online care. Their
shape is the pydantic models of ``symptom_rules``; a file that does not fit is refused at load, and the app's
system check loads it at start-up.
Ranking is pure (no database, no I/O after the rules are loaded once), so it is fast and easy to test;
``guide_for_patients`` is the thin step that ranks among the departments a patient can open now (online,
with at least one doctor) and pairs each suggestion with its ``Department`` row. A red flag is reported
whatever the departments: the page shows the emergency notice before any suggestion.

How text is matched:

- Both the text and the terms are normalised: NFKC (full-width → half-width), case-folded, punctuation
  turned into spaces. Punctuation therefore separates clauses: no term matches across a comma.
- A term with Chinese characters matches as a substring (Chinese has no spaces); any other term matches
  as whole words, also with a plural, -ing or -ed ending ("coughs", "coughing").
- Longest match wins: once "偏头痛" is matched, the "头痛" inside it is not matched again.
- A term directly preceded by a negation from the rules ("没有胸痛", "no fever") is ignored.
- A department's score is the sum of the weights of its distinct matched terms; ties go to the department
  listed first in the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ihospital.core import rulefiles
from ihospital.core.errors import DomainError
from ihospital.scheduling.errors import GuidanceError
from ihospital.scheduling.models import Department
from ihospital.scheduling.symptom_rules import NEGATION_WINDOW, SymptomRules, normalize

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "data" / "symptom_rules.json"

# The department codes rules may point at: the hospital's department tree (see web/demo_data.py).
KNOWN_DEPARTMENT_CODES = frozenset(
    {
        "internal",
        "cardiology",
        "respiratory",
        "gastro",
        "endocrine",
        "nephrology",
        "neurology",
        "surgery",
        "general_surgery",
        "orthopedics",
        "urology",
        "gynecology",
        "pediatrics",
        "dermatology",
        "ophthalmology",
        "ent",
        "tcm",
        "psych_counsel",
    }
)

# Bounds the work per request; a description of symptoms is far shorter. Longer text is refused with an
# explanation (guidance.text_too_long), never cut silently.
MAX_TEXT_LENGTH = 500

EMERGENCY_ADVICE = _(
    "Your description may point to an emergency. Online consultations are not for emergencies: "
    "go to the nearest emergency department or call 120 now."
)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_ENDINGS = "(?:s|es|ing|ed)?"

NameLookup = Callable[[str], str]


@dataclass(frozen=True)
class Suggestion:
    department_code: str
    score: int
    matched: tuple[str, ...]  # the rule terms found, in the order they appear in the text
    reason: str  # e.g. "胸痛、心悸 → 心血管内科", in the language active when it was made


@dataclass(frozen=True)
class GuidanceResult:
    suggestions: tuple[Suggestion, ...]
    emergency: bool
    red_flags: tuple[str, ...] = ()  # the terms of the red flags that fired, for the warning text


@dataclass(frozen=True)
class DepartmentRule:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Term:
    label: str  # as written in the rules
    pattern: re.Pattern[str]
    weights: tuple[tuple[str, int], ...] = ()  # (department code, weight); a term may serve several


@dataclass(frozen=True)
class RuleSet:
    departments: tuple[DepartmentRule, ...]  # in tie-break order
    terms: tuple[Term, ...]
    red_flags: tuple[tuple[Term, ...], ...]  # each fires when all of its terms are present
    negation: re.Pattern[str] | None

    def department(self, code: str) -> DepartmentRule:
        return next(rule for rule in self.departments if rule.code == code)


# ---------------------------------------------------------------------------------------------- ranking


def check_text(text: str) -> None:
    """Refuses a description longer than MAX_TEXT_LENGTH: guidance.text_too_long (field ``text``)."""
    if len(text) > MAX_TEXT_LENGTH:
        message = GuidanceError.TEXT_TOO_LONG.message % {"limit": MAX_TEXT_LENGTH, "length": len(text)}
        raise DomainError(
            GuidanceError.TEXT_TOO_LONG, fields={"text": message}, limit=MAX_TEXT_LENGTH, length=len(text)
        )


def guide(
    text: str,
    *,
    limit: int = 3,
    names: NameLookup | None = None,
    rules: RuleSet | None = None,
    available: Collection[str] | None = None,
) -> GuidanceResult:
    """Suggest up to ``limit`` departments for ``text`` and say whether it reads like an emergency.

    ``names(code)`` gives the department name used in each reason (default: the rules' name in the active
    language). ``available``: only these department codes may be suggested (default: any in the rules).
    No suggestions means nothing matched: the caller shows every department instead. Refuses text longer
    than MAX_TEXT_LENGTH (``check_text``).
    """
    check_text(text)
    rules = rules or load_rules()
    normalized = normalize(text)
    fired = _red_flags(normalized, rules)
    suggestions = _rank(normalized, rules, limit=limit, names=names, available=available)
    return GuidanceResult(suggestions=tuple(suggestions), emergency=bool(fired), red_flags=fired)


def suggest_departments(
    text: str, *, limit: int = 3, names: NameLookup | None = None, rules: RuleSet | None = None
) -> list[Suggestion]:
    """The ranked suggestions of ``guide`` without the emergency check."""
    check_text(text)
    rules = rules or load_rules()
    return _rank(normalize(text), rules, limit=limit, names=names)


def _rank(
    normalized: str,
    rules: RuleSet,
    *,
    limit: int,
    names: NameLookup | None,
    available: Collection[str] | None = None,
) -> list[Suggestion]:
    if limit < 1:
        raise ValueError("limit must be at least 1")
    scores: dict[str, int] = {}
    matched: dict[str, list[str]] = {}
    for term in _longest_matches(normalized, rules):
        for code, weight in term.weights:
            if available is not None and code not in available:
                continue
            labels = matched.setdefault(code, [])
            if term.label not in labels:  # a term repeated in the text counts once
                labels.append(term.label)
                scores[code] = scores.get(code, 0) + weight
    order = {rule.code: index for index, rule in enumerate(rules.departments)}
    ranked = sorted(scores, key=lambda code: (-scores[code], order[code]))[:limit]
    name_of = names or _rule_names(rules)
    return [
        Suggestion(code, scores[code], tuple(matched[code]), _reason(matched[code], name_of(code))) for code in ranked
    ]


def _longest_matches(normalized: str, rules: RuleSet) -> list[Term]:
    """The terms found, in text order; a match inside a longer one is dropped, a negated one too."""
    found = [(m.start(), m.end(), term) for term in rules.terms for m in term.pattern.finditer(normalized)]
    found.sort(key=lambda hit: (hit[0] - hit[1], hit[0]))  # longest first, then leftmost
    taken = [False] * len(normalized)
    kept = []
    for start, end, term in found:
        if any(taken[start:end]):
            continue
        taken[start:end] = [True] * (end - start)
        if not _negated(normalized, start, rules):
            kept.append((start, term))
    return [term for _, term in sorted(kept, key=lambda hit: hit[0])]


def _red_flags(normalized: str, rules: RuleSet) -> tuple[str, ...]:
    fired: list[str] = []
    for flag in rules.red_flags:
        if all(_present(normalized, term, rules) for term in flag):
            fired.extend(term.label for term in flag if term.label not in fired)
    return tuple(fired)


def _present(normalized: str, term: Term, rules: RuleSet) -> bool:
    return any(not _negated(normalized, m.start(), rules) for m in term.pattern.finditer(normalized))


def _negated(normalized: str, start: int, rules: RuleSet) -> bool:
    # The pattern ends with "$"; endpos makes the match start its end. The rules keep every cue shorter.
    return bool(rules.negation and rules.negation.search(normalized, max(0, start - NEGATION_WINDOW), start))


def _rule_names(rules: RuleSet) -> NameLookup:
    english = (get_language() or "").startswith("en")

    def name_of(code: str) -> str:
        rule = rules.department(code)
        return rule.name_en if english else rule.name_zh

    return name_of


def _reason(labels: Sequence[str], department_name: str) -> str:
    separator = ", " if (get_language() or "").startswith("en") else "、"
    return f"{separator.join(labels)} → {department_name}"


# ------------------------------------------------------------------------------------------------ rules


def load_rules(path: Path | str | None = None, *, known_codes: Collection[str] = KNOWN_DEPARTMENT_CODES) -> RuleSet:
    """Read, validate and compile a rules file (default: the shipped one); cached per (path, codes).

    Raises ``core.rulefiles.RulesError`` (a ``ValueError``) naming the file and the JSON path of each bad entry.
    """
    return _load_rules(Path(path if path is not None else DEFAULT_RULES_PATH).resolve(), frozenset(known_codes))


@lru_cache(maxsize=8)
def _load_rules(path: Path, known_codes: frozenset[str]) -> RuleSet:
    return _compile(rulefiles.load_rules(path, SymptomRules, context={"known_codes": known_codes}))


def _compile(spec: SymptomRules) -> RuleSet:
    weights: dict[str, list[tuple[str, int]]] = {}
    labels: dict[str, str] = {}
    for department in spec.departments:
        for label, weight in [*department.zh.items(), *department.en.items()]:
            key = normalize(label)
            labels.setdefault(key, label)
            weights.setdefault(key, []).append((department.code, weight))
    return RuleSet(
        departments=tuple(DepartmentRule(rule.code, rule.name_zh, rule.name_en) for rule in spec.departments),
        terms=tuple(Term(labels[key], _pattern(key), tuple(weights[key])) for key in labels),
        red_flags=tuple(tuple(Term(label, _pattern(normalize(label))) for label in flag) for flag in spec.red_flags),
        negation=_negation([*spec.negations.zh, *spec.negations.en]),
    )


def _negation(cues: Sequence[str]) -> re.Pattern[str] | None:
    if not cues:
        return None
    # Longest first so "没有" is tried before "没"; an English cue must be a whole word.
    alternatives = [
        re.escape(cue) if _HAS_CJK.search(cue) else rf"\b{re.escape(cue)} ?"
        for cue in sorted({normalize(cue) for cue in cues}, key=len, reverse=True)
    ]
    return re.compile(f"(?:{'|'.join(alternatives)})$", re.ASCII)


def _pattern(key: str) -> re.Pattern[str]:
    if _HAS_CJK.search(key):
        return re.compile(re.escape(key))
    # ASCII word boundaries: Chinese characters count as non-word, so "我有cough" matches "cough".
    return re.compile(rf"\b{re.escape(key)}{_ENDINGS}\b", re.ASCII)


# ------------------------------------------------------------------------------------------- database


def openable_departments() -> dict[str, Department]:
    """The departments a patient can open from a suggestion, by code: online (their page opens) and with
    at least one active doctor (the page offers someone to book)."""
    rows = Department.objects.filter(is_online=True, doctors__user__is_active=True).distinct()
    return {row.code: row for row in rows}


def departments_for(suggestions: Sequence[Suggestion]) -> list[tuple[Suggestion, Department]]:
    """Pairs each suggestion with its ``Department`` row, keeping the ranking; one query. Suggestions whose
    department a patient cannot open (see ``openable_departments``) are dropped."""
    rows = openable_departments()
    return [(s, rows[s.department_code]) for s in suggestions if s.department_code in rows]


def guide_for_patients(text: str, *, limit: int = 3) -> tuple[GuidanceResult, list[tuple[Suggestion, Department]]]:
    """``guide`` among the departments a patient can open now, named as the hospital names them, each
    suggestion paired with its row. Raises guidance.text_too_long (``check_text``)."""
    check_text(text)
    rows = openable_departments()
    result = guide(text, limit=limit, names=lambda code: rows[code].name, available=rows)
    return result, [(suggestion, rows[suggestion.department_code]) for suggestion in result.suggestions]
