"""The in-process HIS client: the same translation to the HIS's ``Call(FuncCode, XML)`` as the gateway
makes, straight to the simulated HIS (its own SQLite file). For unit tests and a demo without gateway.

It behaves like the real path: the simulated HIS's latency and failures on demand apply, an answer
slower than HIS_READ_TIMEOUT_SECONDS is a timeout (the caller has given up; a write may still have
been applied, and its retry under the same transaction id gets the first answer), and the breaker
guards it like the soap client.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from ihospital.integrations.his import simulated, vendor
from ihospital.integrations.his.base import HisError
from ihospital.integrations.his.guard import GuardedOperations


class SandboxHis(GuardedOperations):
    name = "sandbox"

    def _call(self, operation: str, request: Any) -> Any:
        started = time.monotonic()
        error: HisError | None = None
        try:
            reply = vendor.invoke(simulated.configured(), operation, request)
        except HisError as exc:
            error = exc
        if time.monotonic() - started > settings.HIS_READ_TIMEOUT_SECONDS:
            raise HisError(f"HIS did not answer {operation} in time", code=HisError.TIMEOUT)
        if error is not None:
            raise error
        return reply
