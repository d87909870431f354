"""Findings: what a check says about a draft, each with its rule, the rule file's version and a severity.

The explanation is stored as an English message id with its values, so it renders in whatever language
the reader uses (``explanation``) and can be stored and rendered again later (``as_dict``/``render``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import get_language, gettext


class Severity(StrEnum):
    BLOCK = "block"  # the prescription cannot be submitted
    WARN = "warn"  # needs the doctor's written reason, which the pharmacist sees
    INFO = "info"


RANK = {Severity.BLOCK: 0, Severity.WARN: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Both:
    """A value shown in the reader's language: a drug or class name, or a text of a rule file."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh if (get_language() or "zh-hans").startswith("zh") else self.en


def render(message: str, params: Mapping[str, Any]) -> str:
    """``message`` (an English msgid) translated and filled with ``params`` in the active language."""
    return gettext(message) % {key: _shown(value) for key, value in params.items()}


def _shown(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"zh", "en"}:
        value = Both(**value)
    if isinstance(value, float):
        return f"{value:.4g}" if value < 1000 else f"{value:.0f}"
    return str(value)


@dataclass(frozen=True)
class Finding:
    rule: str  # "interactions/warfarin+nsaids", "doses/per_day_above_max" …
    severity: Severity
    version: str  # the rule file's version (with its digest)
    message: str  # English msgid with %(name)s placeholders
    params: Mapping[str, Any] = field(default_factory=dict)
    items: tuple[int, ...] = ()  # positions of the items concerned (none: the whole prescription)
    source: str = ""  # the reference a rule entry cites

    @property
    def family(self) -> str:
        return self.rule.split("/", 1)[0]

    @property
    def explanation(self) -> str:
        return render(self.message, self.params)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with both languages of every value kept so it renders again later."""
        params = {k: ({"zh": v.zh, "en": v.en} if isinstance(v, Both) else v) for k, v in self.params.items()}
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "version": self.version,
            "message": self.message,
            "params": params,
            "items": list(self.items),
            "source": self.source,
        }
