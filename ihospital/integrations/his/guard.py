"""What every HIS client does around its calls: the circuit breaker and one log line per call."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

from ihospital.core.breaker import Breaker
from ihospital.core.outbox import current_correlation_id
from ihospital.integrations.his.base import HisError, TypedOperations

logger = logging.getLogger("ihospital.his")


def breaker(name: str) -> Breaker:
    return Breaker(
        f"his:{name}", threshold=settings.HIS_BREAKER_THRESHOLD, cooldown_seconds=settings.HIS_BREAKER_COOLDOWN_SECONDS
    )


class GuardedOperations(TypedOperations):
    """Subclasses implement ``_call``; ``call`` adds the breaker: after HIS_BREAKER_THRESHOLD transient
    failures in a row, calls fail at once with ``his.circuit_open`` for HIS_BREAKER_COOLDOWN_SECONDS.
    A permanent refusal counts as an answer (the HIS is up). Log lines name the operation and the
    correlation id, never the request's content (it holds ID numbers)."""

    name = "his"

    def _call(self, operation: str, request: Any) -> Any:
        raise NotImplementedError

    def call(self, operation: str, request: Any) -> Any:
        guard = breaker(self.name)
        if not guard.allow():
            raise HisError("HIS calls are paused after repeated failures", code=HisError.CIRCUIT_OPEN)
        started = time.monotonic()
        try:
            reply = self._call(operation, request)
        except HisError as error:
            if error.permanent:
                guard.success()
            else:
                guard.failure()
            self._log(operation, error.code, started, logging.WARNING)
            raise
        guard.success()
        self._log(operation, "ok", started, logging.INFO)
        return reply

    def _log(self, operation: str, outcome: str, started: float, level: int) -> None:
        correlation = current_correlation_id()
        logger.log(
            level,
            "his %s %s -> %s in %.0f ms%s",
            self.name,
            operation,
            outcome,
            (time.monotonic() - started) * 1000,
            f", correlation {correlation}" if correlation else "",
            extra={"correlation_id": correlation},
        )
