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

Transitions = Mapping[str, Iterable[str]]


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
    """Move row ``pk`` to state ``to``; return the state it left.

    Raises ``DomainError(error)`` when the row's current state does not allow the move (or the row
    does not exist). ``changes`` are further columns updated in the same statement.
    """
    sources = sources_for(transitions, to)
    manager = model._default_manager
    current = manager.filter(pk=pk).values_list(field, flat=True).first()
    updated = manager.filter(pk=pk, **{f"{field}__in": sources}).update(**{field: to}, **changes)
    if updated != 1:
        latest = manager.filter(pk=pk).values_list(field, flat=True).first()
        raise DomainError(error, current=latest if latest is not None else "missing")
    return str(current)
