"""A circuit breaker for calls to an outside system that may be down::

    breaker = Breaker("his", threshold=5, cooldown_seconds=30)
    if not breaker.allow():
        raise SomeError("not calling for a while")       # open: fail fast, spare the system and our threads
    try:
        result = call()
    except TransientError:
        breaker.failure()
        raise
    breaker.success()

Closed → open after ``threshold`` failures in a row; open for ``cooldown_seconds``; then half-open: one
caller (and only one, claimed by ``cache.add``) may try; its success closes the breaker, its failure
opens it again for another cooldown. The state is kept in Django's cache: shared by every process on
Redis, per process with the embedded local-memory cache (each process then learns on its own).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from django.core.cache import cache

State = Literal["closed", "open", "half_open"]

_clock = time.time  # tests move it instead of waiting


@dataclass(frozen=True)
class Breaker:
    name: str
    threshold: int = 5
    cooldown_seconds: float = 30.0

    def _key(self, part: str) -> str:
        return f"breaker:{self.name}:{part}"

    def state(self) -> State:
        open_until = cache.get(self._key("open_until"))
        if open_until is None:
            return "closed"
        return "open" if _clock() < open_until else "half_open"

    def allow(self) -> bool:
        """May a call go out now? In the half-open state only the first asker gets a yes."""
        state = self.state()
        if state == "closed":
            return True
        if state == "open":
            return False
        return cache.add(self._key("probe"), 1, timeout=max(1, int(self.cooldown_seconds)))

    def success(self) -> None:
        if self.state() != "closed" or cache.get(self._key("failures")):
            cache.delete_many([self._key("failures"), self._key("open_until"), self._key("probe")])

    def failure(self) -> None:
        key = self._key("failures")
        cache.add(key, 0, timeout=None)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=None)
            failures = 1
        if failures >= self.threshold or self.state() != "closed":
            cache.set(self._key("open_until"), _clock() + self.cooldown_seconds, timeout=None)
            cache.delete(self._key("probe"))

    def reset(self) -> None:
        cache.delete_many([self._key("failures"), self._key("open_until"), self._key("probe")])
