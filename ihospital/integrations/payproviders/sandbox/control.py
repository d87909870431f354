"""Faults on demand for the payment sandbox's notifications, kept in the cache so a separate worker
process sees them too::

    control.fault_next("drop")                 # the next notification is lost (only a query finds it)
    control.fault_next("duplicate", count=2)   # the next 2 delivery attempts are posted twice
    control.fault_next("delay", delay=30)      # the next attempt waits 30 s
    control.fault_next("corrupt")              # the next attempt's body is altered after signing

A fault is used up by one delivery attempt (a retry is an attempt too).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

MODES = ("drop", "duplicate", "delay", "corrupt")
SPEC_KEY = "sandbox:pay:fault"
COUNT_KEY = "sandbox:pay:fault:count"
TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class Fault:
    mode: str
    delay: int = 0


def fault_next(mode: str, count: int = 1, delay: int = 0) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown fault mode {mode!r}; choose one of {', '.join(MODES)}")
    if count < 1 or delay < 0:
        raise ValueError("count must be at least 1 and delay not negative")
    cache.set_many({SPEC_KEY: {"mode": mode, "delay": int(delay)}, COUNT_KEY: int(count)}, timeout=TIMEOUT_SECONDS)


def clear() -> None:
    cache.delete_many([SPEC_KEY, COUNT_KEY])


def pending() -> tuple[Fault | None, int]:
    """The armed fault and how many attempts it still applies to (for the developer page)."""
    spec, count = cache.get(SPEC_KEY), cache.get(COUNT_KEY) or 0
    if not spec or count <= 0:
        return None, 0
    return Fault(**spec), count


def take() -> Fault | None:
    """Use up one fault for the delivery attempt about to happen, or None. Atomic across processes
    (the counter is decremented by the cache itself)."""
    spec = cache.get(SPEC_KEY)
    if not spec:
        return None
    try:
        remaining = cache.decr(COUNT_KEY)
    except ValueError:  # no counter: nothing armed
        return None
    return Fault(**spec) if remaining >= 0 else None
