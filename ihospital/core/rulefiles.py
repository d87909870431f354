"""Rule files: JSON that people edit and the code obeys (导诊 symptom rules, prescription review rules, …).

Each file is described by a pydantic model built on ``RuleModel`` (strict types, unknown keys refused) and read
with ``load_rules(path, Model)``, which returns the validated model or raises one error type, ``RulesError``,
whose message names the file and the JSON path of every bad entry::

    symptom_rules.json: departments[3].zh: weight of '胸痛' must be an integer from 1 to 10;
    red_flags[7] must be a non-empty list

No caching here: the caller caches what it compiles from the model. The owning app's system check should load
the file too, so that a mistake stops ``manage check`` and ``serve`` instead of failing the first request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

# pydantic's words for a value of the wrong shape ("a valid dictionary or instance of SymptomRules") in JSON's.
_SHAPES = {"model_type": "an object", "dict_type": "an object", "list_type": "a list"}
# A value shown in a message is cut to this many characters: a rule file may hold long texts.
_SHOWN = 40

Loc = tuple[int | str, ...]

# pydantic reports each unknown or missing key on its own; a message names them together, per object.
_GROUPED = {"extra_forbidden": "unknown keys", "missing": "missing keys"}


class RuleModel(BaseModel):
    """Base of every rule-file model: JSON types only (no "4" for 4, no true for 1), no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


M = TypeVar("M", bound=BaseModel)


class RulesError(ValueError):
    """A rule file that cannot be used. ``problems`` holds (JSON path, message) pairs; "" is the whole file."""

    def __init__(self, path: Path, problems: Iterable[tuple[str, str]]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__(f"{path}: " + "; ".join(_sentence(where, what) for where, what in self.problems))


def load_rules(path: Path | str, model: type[M], *, context: Mapping[str, Any] | None = None) -> M:
    """Read ``path`` (UTF-8 JSON) and validate it with ``model``; ``context`` reaches the model's validators.

    Raises ``RulesError`` when the file cannot be read, is not JSON, repeats a key inside one object (JSON
    parsers keep the last one silently) or does not fit the model.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(path, [("", f"cannot be read: {exc.strerror or exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise RulesError(path, [("", f"not UTF-8: {exc}")]) from exc
    try:
        data = json.loads(text, object_pairs_hook=_JsonObject)
    except json.JSONDecodeError as exc:
        raise RulesError(path, [("", f"not valid JSON: {exc}")]) from exc
    repeated = [(where, f"duplicate keys {keys}") for where, keys in _repeated_keys(data, ())]
    if repeated:
        raise RulesError(path, repeated)
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        raise RulesError(path, describe(exc)) from exc


def describe(exc: ValidationError) -> list[tuple[str, str]]:
    """pydantic's errors as (JSON path, message), in pydantic's order; unknown and missing keys grouped per object."""
    problems: list[tuple[str, str, list[str] | None]] = []
    groups: dict[tuple[str, Loc], list[str]] = {}
    for error in exc.errors(include_url=False):
        loc, kind = tuple(error["loc"]), error["type"]
        if kind not in _GROUPED:
            problems.append((json_path(loc), _message(error), None))
            continue
        keys = groups.get((kind, loc[:-1]))
        if keys is None:
            keys = groups[kind, loc[:-1]] = []
            problems.append((json_path(loc[:-1]), _GROUPED[kind], keys))
        keys.append(str(loc[-1]))
    return [(where, f"{what} {sorted(keys)}" if keys is not None else what) for where, what, keys in problems]


def json_path(loc: Loc) -> str:
    """('departments', 0, 'en', 'chest pain') → "departments[0].en['chest pain']"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":  # pydantic's marker: the key itself is bad, not its value
            path += " (the key)"
        elif part.isidentifier():
            path += f".{part}" if path else part
        else:
            path += f"[{part!r}]"
    return path


def _message(error: Mapping[str, Any]) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error["input"]
    if kind == "value_error":  # raised by a model's own validator: its text is already a sentence
        return str(ctx["error"])
    if kind in _SHAPES:
        return f"must be {_SHAPES[kind]} (got {_short(value)})"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must be a non-empty " + ("object" if isinstance(value, dict) else "list")
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must be a non-empty string"
    shown = "" if isinstance(value, dict | list) else f" (got {_short(value)})"
    return f"{error['msg']}{shown}"


def _sentence(where: str, what: str) -> str:
    if not where:
        return f"the top level {what}" if what.startswith("must ") else what
    return f"{where} {what}" if what.startswith("must ") else f"{where}: {what}"


def _short(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1] + "…"


class _JsonObject(dict[str, Any]):
    """A parsed JSON object that remembers the keys it saw more than once."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        keys = [key for key, _value in pairs]
        self.repeated = sorted({key for key in keys if keys.count(key) > 1})


def _repeated_keys(value: Any, loc: Loc) -> Iterator[tuple[str, list[str]]]:
    if isinstance(value, _JsonObject):
        if value.repeated:
            yield json_path(loc), value.repeated
        for key, item in value.items():
            yield from _repeated_keys(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _repeated_keys(item, (*loc, index))
