"""Compare-and-set state transitions.

A model declares its allowed transitions as ``{target: {sources...}}``; ``transition`` moves one row
with a single conditional UPDATE and refuses (coded error, nothing changed) when the row is not in an
allowed source state — even when another request changed it a microsecond earlier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from ihospital.core.errors import CoreError, DomainError, ErrorCode

# Keys are a model's Status members (str subclasses); Mapping is invariant in its key type, hence Any.
Transitions = Mapping[Any, Iterable[str]]


def sources_for(transitions: Transitions, target: str) -> list[str]:
    try:
        return list(transitions[target])
    except KeyError:
        raise ValueError(f"no transition into {target!r} is declared") from None


def transition(
    model: type[models.Model],
    *,
    pk: Any,
    to: str,
    transitions: Transitions,
    field: str = "status",
    error: ErrorCode = CoreError.ILLEGAL_TRANSITION,
    **changes: Any,
) -> str:
    """Move row ``pk`` to state ``to``; return the state it really left.

    One conditional UPDATE per allowed source state, in a fixed order, until one matches: the source
    named in the matching statement is the state the row was in at the instant it moved, whatever the
    caller (or anyone) read before. Decide side effects (a refund, a notice) from this answer, never
    from an earlier read. No row lock is taken and no extra read is made on success.

    Raises ``DomainError(error)`` when the row's current state does not allow the move (or the row
    does not exist). ``changes`` are further columns updated in the same statement.
    """
    manager = model._default_manager
    sources = sorted(sources_for(transitions, to))
    for _attempt in range(3):
        for source in sources:
            if manager.filter(pk=pk, **{field: source}).update(**{field: to}, **changes) == 1:
                return str(source)
        latest = manager.filter(pk=pk).values_list(field, flat=True).first()
        if latest not in sources:  # else it moved between two allowed states behind our back: try again
            break
    raise DomainError(error, current=latest if latest is not None else "missing")
