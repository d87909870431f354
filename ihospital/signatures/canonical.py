"""The canonical serialisation every signature covers (docs/signatures.md):

UTF-8 JSON with object keys sorted by Unicode code point, no insignificant whitespace (``,`` and ``:``
separators), non-ASCII characters written as themselves (no ``\\u`` escapes), and only these values:
text, whole numbers, true/false, null, lists and objects whose keys are text. Floating-point numbers are
refused (their text form is not unique; money is integer fen, anything else fractional is text), and so
are NaN and the infinities. Strings are taken as given (no Unicode normalisation).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class NotCanonical(ValueError):
    pass


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise NotCanonical("nested too deeply")
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, list):
        for item in value:
            _check(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical("object keys must be text")
            _check(item, depth + 1)
        return
    raise NotCanonical(f"{type(value).__name__} values cannot be signed")


def canonical_bytes(payload: dict[str, Any]) -> bytes:
    """The bytes that are signed. Raises NotCanonical for anything outside the rules above."""
    if not isinstance(payload, dict):
        raise NotCanonical("the document must be an object")
    _check(payload, 0)
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
