"""The simulated HIS (its own SQLite file; see ``system`` and ``store``). Not part of the app: it plays
the hospital's system behind the gateway in the demo, and behind the in-process sandbox in tests."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from ihospital.integrations.his.simulated.system import FAULT_MODES, SimulatedHis

__all__ = ["FAULT_MODES", "SimulatedHis", "configured"]


def configured() -> SimulatedHis:
    """The simulated HIS named by settings (HIS_SIM_DATABASE, HIS_SIM_LATENCY_SECONDS …)."""
    return _simulated(
        str(settings.HIS_SIM_DATABASE), settings.HIS_SIM_LATENCY_SECONDS, settings.HIS_SIM_REPORT_DELAY_SECONDS
    )


@cache
def _simulated(path: str, latency: float, report_delay: float) -> SimulatedHis:
    return SimulatedHis(path, latency=latency, report_delay_seconds=report_delay)
