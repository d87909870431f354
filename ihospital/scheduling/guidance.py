"""导诊 (symptom guidance): which departments fit a patient's own description of their symptoms.

The rules are data (``data/symptom_rules.json``): per department, Chinese and English terms with weights,
plus red-flag combinations that send the patient to the emergency department instead of online care.
Ranking is pure (no database, no I/O after the rules are loaded once), so it is fast and easy to test;
``departments_for`` is the thin step that maps the suggested codes to ``Department`` rows.

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

import json
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ihospital.scheduling.models import Department

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

# Bounds the work per request; a description of symptoms is far shorter.
MAX_TEXT_LENGTH = 2000
MAX_WEIGHT = 10

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


def normalize(text: str) -> str:
    """NFKC, case-folded, every run of non-letters/digits collapsed to one space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in folded)
    return " ".join(kept.split())


# ---------------------------------------------------------------------------------------------- ranking


def guide(
    text: str, *, limit: int = 3, names: NameLookup | None = None, rules: RuleSet | None = None
) -> GuidanceResult:
    """Suggest up to ``limit`` departments for ``text`` and say whether it reads like an emergency.

    ``names(code)`` gives the department name used in each reason (default: the rules' name in the active
    language). No suggestions means nothing matched: the caller shows every department instead.
    """
    rules = rules or load_rules()
    normalized = normalize(text[:MAX_TEXT_LENGTH])
    fired = _red_flags(normalized, rules)
    suggestions = _rank(normalized, rules, limit=limit, names=names)
    return GuidanceResult(suggestions=tuple(suggestions), emergency=bool(fired), red_flags=fired)


def suggest_departments(
    text: str, *, limit: int = 3, names: NameLookup | None = None, rules: RuleSet | None = None
) -> list[Suggestion]:
    """The ranked suggestions of ``guide`` without the emergency check."""
    rules = rules or load_rules()
    return _rank(normalize(text[:MAX_TEXT_LENGTH]), rules, limit=limit, names=names)


def _rank(normalized: str, rules: RuleSet, *, limit: int, names: NameLookup | None) -> list[Suggestion]:
    if limit < 1:
        raise ValueError("limit must be at least 1")
    scores: dict[str, int] = {}
    matched: dict[str, list[str]] = {}
    for term in _longest_matches(normalized, rules):
        for code, weight in term.weights:
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
    # The pattern ends with "$"; endpos makes the match start its end. 16 characters hold any cue.
    return bool(rules.negation and rules.negation.search(normalized, max(0, start - 16), start))


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


def load_rules(
    path: Path | str = DEFAULT_RULES_PATH, *, known_codes: Collection[str] = KNOWN_DEPARTMENT_CODES
) -> RuleSet:
    """Read and validate a rules file; cached per (path, codes). Raises ValueError naming the problem."""
    return _load_rules(Path(path).resolve(), frozenset(known_codes))


@lru_cache(maxsize=8)
def _load_rules(path: Path, known_codes: frozenset[str]) -> RuleSet:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    try:
        return _parse_rules(raw, known_codes)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _value in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"duplicate keys {duplicates}")
    return dict(pairs)


def _parse_rules(raw: Any, known_codes: frozenset[str]) -> RuleSet:
    _expect_keys(raw, "the rules file", required={"departments", "red_flags"}, optional={"about", "negations"})
    if not isinstance(raw["departments"], list) or not raw["departments"]:
        raise ValueError("departments must be a non-empty list")
    departments: list[DepartmentRule] = []
    weights: dict[str, list[tuple[str, int]]] = {}
    labels: dict[str, str] = {}
    for index, entry in enumerate(raw["departments"]):
        rule, terms = _parse_department(entry, f"departments[{index}]", known_codes)
        if any(rule.code == seen.code for seen in departments):
            raise ValueError(f"department {rule.code!r} is listed twice")
        departments.append(rule)
        for key, (label, weight) in terms.items():
            labels.setdefault(key, label)
            weights.setdefault(key, []).append((rule.code, weight))
    terms = tuple(Term(labels[key], _pattern(key), tuple(weights[key])) for key in labels)
    return RuleSet(
        departments=tuple(departments),
        terms=terms,
        red_flags=_parse_red_flags(raw["red_flags"]),
        negation=_parse_negations(raw.get("negations", {})),
    )


def _parse_department(entry: Any, where: str, known_codes: frozenset[str]) -> tuple[DepartmentRule, dict]:
    _expect_keys(entry, where, required={"code", "name_zh", "name_en", "zh", "en"})
    code = entry["code"]
    if code not in known_codes:
        raise ValueError(f"{where}: unknown department code {code!r}")
    where = f"{where} ({code})"
    for key in ("name_zh", "name_en"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise ValueError(f"{where}: {key} must be a non-empty string")
    terms: dict[str, tuple[str, int]] = {}
    for language in ("zh", "en"):
        if not isinstance(entry[language], dict) or not entry[language]:
            raise ValueError(f"{where}: {language} must be a non-empty object of term: weight")
        for label, weight in entry[language].items():
            key = _term_key(label, where)
            if key in terms:
                raise ValueError(f"{where}: term {label!r} is listed twice")
            if type(weight) is not int or not 1 <= weight <= MAX_WEIGHT:
                raise ValueError(f"{where}: weight of {label!r} must be an integer from 1 to {MAX_WEIGHT}")
            terms[key] = (label, weight)
    return DepartmentRule(code, entry["name_zh"], entry["name_en"]), terms


def _parse_red_flags(raw: Any) -> tuple[tuple[Term, ...], ...]:
    if not isinstance(raw, list):
        raise ValueError("red_flags must be a list of lists of terms")
    flags = []
    for index, flag in enumerate(raw):
        if not isinstance(flag, list) or not flag:
            raise ValueError(f"red_flags[{index}] must be a non-empty list of terms")
        flags.append(tuple(Term(label, _pattern(_term_key(label, f"red_flags[{index}]"))) for label in flag))
    return tuple(flags)


def _parse_negations(raw: Any) -> re.Pattern[str] | None:
    _expect_keys(raw, "negations", optional={"zh", "en"})
    cues = []
    for language, words in raw.items():
        if not isinstance(words, list):
            raise ValueError(f"negations.{language} must be a list")
        cues.extend(_term_key(word, f"negations.{language}") for word in words)
    if not cues:
        return None
    # Longest first so "没有" is tried before "没"; an English cue must be a whole word.
    alternatives = [
        re.escape(cue) if _HAS_CJK.search(cue) else rf"\b{re.escape(cue)} ?"
        for cue in sorted(set(cues), key=len, reverse=True)
    ]
    return re.compile(f"(?:{'|'.join(alternatives)})$", re.ASCII)


def _term_key(label: Any, where: str) -> str:
    key = normalize(label) if isinstance(label, str) else ""
    if not key:
        raise ValueError(f"{where}: empty term {label!r}")
    return key


def _pattern(key: str) -> re.Pattern[str]:
    if _HAS_CJK.search(key):
        return re.compile(re.escape(key))
    # ASCII word boundaries: Chinese characters count as non-word, so "我有cough" matches "cough".
    return re.compile(rf"\b{re.escape(key)}{_ENDINGS}\b", re.ASCII)


def _expect_keys(raw: Any, where: str, *, required: Collection[str] = (), optional: Collection[str] = ()) -> None:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object")
    missing = set(required) - raw.keys()
    unknown = raw.keys() - set(required) - set(optional)
    if missing or unknown:
        raise ValueError(f"{where}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}")


# ------------------------------------------------------------------------------------------- database


def departments_for(suggestions: Sequence[Suggestion]) -> list[tuple[Suggestion, Department]]:
    """Pairs each suggestion with its online ``Department`` row, keeping the ranking; one query.

    Suggestions whose department does not exist or takes no online bookings are dropped.
    """
    rows = Department.objects.filter(
        code__in=[suggestion.department_code for suggestion in suggestions], is_online=True
    ).in_bulk(field_name="code")
    return [
        (suggestion, rows[suggestion.department_code])
        for suggestion in suggestions
        if suggestion.department_code in rows
    ]
