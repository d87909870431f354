"""Faults on demand for the payment sandbox's notifications::

    control.fault_next("drop")                 # the next notification is lost (only a query finds it)
    control.fault_next("duplicate", count=2)   # the next 2 delivery attempts are posted twice
    control.fault_next("delay", delay=30)      # the next attempt waits 30 s
    control.fault_next("corrupt")              # the next attempt's body is altered after signing

A fault is used up by one delivery attempt (a retry is an attempt too), and forgotten after an hour.
It is stored in the database (one SandboxPayFault row), not the cache: in the embedded mode the cache is
per process, and the worker sending notifications must see what was armed from the web page or a shell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F

from ihospital.core.time import now
from ihospital.integrations.models import SandboxPayFault

MODES = ("drop", "duplicate", "delay", "corrupt")
LIFETIME = timedelta(hours=1)
ROW = 1


@dataclass(frozen=True)
class Fault:
    mode: str
    delay: int = 0


def fault_next(mode: str, count: int = 1, delay: int = 0) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown fault mode {mode!r}; choose one of {', '.join(MODES)}")
    if count < 1 or delay < 0:
        raise ValueError("count must be at least 1 and delay not negative")
    SandboxPayFault.objects.update_or_create(
        pk=ROW, defaults={"mode": mode, "delay_seconds": int(delay), "remaining": int(count), "armed_at": now()}
    )


def clear() -> None:
    SandboxPayFault.objects.filter(pk=ROW).update(remaining=0)


def _armed():
    return SandboxPayFault.objects.filter(pk=ROW, remaining__gt=0, armed_at__gt=now() - LIFETIME)


def pending() -> tuple[Fault | None, int]:
    """The armed fault and how many attempts it still applies to (for the developer page)."""
    row = _armed().first()
    if row is None:
        return None, 0
    return Fault(row.mode, row.delay_seconds), row.remaining


def take() -> Fault | None:
    """Use up one fault for the delivery attempt about to happen, or None. Two workers never use up the
    same one: the decrement is a conditional UPDATE."""
    row = _armed().first()
    if row is None:
        return None
    used = _armed().filter(armed_at=row.armed_at).update(remaining=F("remaining") - 1)
    return Fault(row.mode, row.delay_seconds) if used else None
