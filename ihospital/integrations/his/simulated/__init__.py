"""The simulated HIS (its own SQLite file; see ``system`` and ``store``). Not part of the app: it plays
the hospital's system behind the gateway in the demo, and behind the in-process sandbox in tests."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from ihospital.integrations.his.simulated.system import FAULT_MODES, SimulatedHis

__all__ = ["FAULT_MODES", "SimulatedHis", "configured", "preload"]


def configured() -> SimulatedHis:
    """The simulated HIS named by settings (HIS_SIM_DATABASE, HIS_SIM_LATENCY_SECONDS …)."""
    return _simulated(
        str(settings.HIS_SIM_DATABASE), settings.HIS_SIM_LATENCY_SECONDS, settings.HIS_SIM_REPORT_DELAY_SECONDS
    )


def preload() -> None:
    """Import now what the first calls would otherwise import: pydicom (with numpy) for ExamImage (6007)
    takes ~1 s to import, and up to ~3 s on a busy machine; a gateway process serving this HIS calls it
    before it listens, so that its first ExamImage answers as fast as the next ones."""
    import pydicom  # noqa: F401
    import pydicom.data  # noqa: F401


@cache
def _simulated(path: str, latency: float, report_delay: float) -> SimulatedHis:
    return SimulatedHis(path, latency=latency, report_delay_seconds=report_delay)
