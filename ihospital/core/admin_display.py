"""Columns and read-only fields of the back office shown as a person reads them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin

from ihospital.core.money import format_fen


def yuan(field: str, description: Any) -> Callable[[Any], str]:
    """An admin column / read-only field showing the integer-fen ``field`` in yuan (3000 → ¥30.00)."""

    @admin.display(description=description, ordering=field)
    def show(obj) -> str:
        value = getattr(obj, field)
        return "" if value is None else format_fen(value)

    show.__name__ = f"{field.removesuffix('_fen')}_yuan"
    return show


def in_yuan(names: Iterable[str], columns: dict[str, Callable[[Any], str]]) -> list:
    """``names`` with each fen field replaced by its yuan column from ``columns`` (field name → column)."""
    return [columns.get(name, name) for name in names]
