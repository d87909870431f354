"""Faults on demand for the courier sandbox::

    control.fault_next("fail")                # the next shipment placed ends in a failed delivery
    control.fault_next("duplicate", count=2)  # the next 2 callback attempts are posted twice
    control.fault_next("corrupt")             # the next callback's body is altered after signing

A fault is used up by the shipment (``fail``) or the callback attempt it applies to, and forgotten after
an hour. Stored in the database (one row per mode) so the worker sees what the web page armed.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F

from ihospital.core.time import now
from ihospital.integrations.models import SandboxCourierFault

MODES = ("fail", "duplicate", "corrupt")
LIFETIME = timedelta(hours=1)


def fault_next(mode: str, count: int = 1) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown fault mode {mode!r}; choose one of {', '.join(MODES)}")
    if count < 1:
        raise ValueError("count must be at least 1")
    SandboxCourierFault.objects.update_or_create(
        pk=MODES.index(mode) + 1, defaults={"mode": mode, "remaining": int(count), "armed_at": now()}
    )


def clear() -> None:
    SandboxCourierFault.objects.update(remaining=0)


def _armed(mode: str):
    return SandboxCourierFault.objects.filter(mode=mode, remaining__gt=0, armed_at__gt=now() - LIFETIME)


def pending() -> dict[str, int]:
    """Armed faults and how many uses each has left (for the developer page)."""
    return {row.mode: row.remaining for row in SandboxCourierFault.objects.filter(remaining__gt=0)}


def take(mode: str) -> bool:
    """Use up one ``mode`` fault, if armed. Two workers never use up the same one (a conditional UPDATE)."""
    return bool(_armed(mode).update(remaining=F("remaining") - 1))
