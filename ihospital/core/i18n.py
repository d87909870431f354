"""Texts translated when they are read, not when they are written.

A message stored for later (a notice in someone's message centre) keeps its source text and values as
``Phrase``s, so each reader sees it in the language they read in at that moment, and a reader who
switches language sees the old messages switch too:

    Phrase(gettext_noop("Booking accepted"))
    Phrase("%(n)d booking cancelled.", plural="%(n)d bookings cancelled.", count=n, params={"n": n})
    Phrase("%(period)s clinic", params={"period": Phrase("Morning"), "department": ByLanguage(...)})

Source texts must be in the catalogue (mark them with ``gettext_noop``). ``to_json``/``from_json`` store
them in a JSON column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language, gettext, ngettext


@dataclass(frozen=True)
class ByLanguage:
    """A value that exists in several languages (a department's Chinese and English names):
    ``{"zh-hans": "心血管内科", "en": "Cardiology"}``; the first one stands in for a missing language."""

    values: Mapping[str, str]

    def render(self) -> str:
        language = (get_language() or "").lower()
        for code, text in self.values.items():
            if language.startswith(code.split("-")[0]):
                return text
        return next(iter(self.values.values()), "")


@dataclass(frozen=True)
class Phrase:
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str = ""
    count: int | None = None

    @classmethod
    def of(cls, label: Any, **params: Any) -> Phrase:
        """The phrase behind a lazily translated label (a ``gettext_lazy`` constant, a choice's label)."""
        args = getattr(label, "_args", None)  # django.utils.functional.lazy keeps the call's arguments
        return cls(str(args[0]) if args else str(label), params=params)

    @classmethod
    def choice(cls, instance: Any, field: str) -> Phrase:
        """A model instance's choice field as the phrase of its label (``Phrase.choice(schedule, "period")``)."""
        value = getattr(instance, field)
        return cls.of(dict(instance._meta.get_field(field).flatchoices).get(value, value))

    def render(self) -> str:
        """The text in the active language, its values filled in (phrases among them translated too)."""
        if self.plural:
            text = ngettext(self.msgid, self.plural, self.count or 0)
        else:
            text = gettext(self.msgid)
        if not self.params:
            return text
        return text % {name: _render_value(value) for name, value in self.params.items()}


def _render_value(value: Any) -> Any:
    return value.render() if isinstance(value, (Phrase, ByLanguage)) else value


def render(parts: Phrase | Sequence[Phrase] | str) -> str:
    """One phrase, or several joined by a space, in the active language. A plain string is returned as is."""
    if isinstance(parts, str):
        return parts
    if isinstance(parts, Phrase):
        return parts.render()
    return " ".join(part.render() for part in parts)


def to_json(value: Any) -> Any:
    """Phrases, language alternatives, lists and plain values as JSON types."""
    if isinstance(value, Phrase):
        data: dict[str, Any] = {"msgid": value.msgid}
        if value.params:
            data["params"] = {name: to_json(item) for name, item in value.params.items()}
        if value.plural:
            data["plural"], data["count"] = value.plural, value.count
        return data
    if isinstance(value, ByLanguage):
        return {"by_language": dict(value.values)}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def from_json(data: Any) -> Any:
    """The inverse of ``to_json``."""
    if isinstance(data, list):
        return [from_json(item) for item in data]
    if isinstance(data, dict) and "by_language" in data:
        return ByLanguage(dict(data["by_language"]))
    if isinstance(data, dict) and "msgid" in data:
        params = {name: from_json(item) for name, item in (data.get("params") or {}).items()}
        return Phrase(data["msgid"], params=params, plural=data.get("plural", ""), count=data.get("count"))
    return data
