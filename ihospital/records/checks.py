"""Refuse to start with retention periods shorter than the law's (SPEC §6): medical records and
consultation messages at least 15 years, video recordings at least 3."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

MINIMUM_YEARS = {
    "RETENTION_YEARS_RECORDS": (15, "records.E001"),
    "RETENTION_YEARS_MESSAGES": (15, "records.E002"),
    "RETENTION_YEARS_RECORDINGS": (3, "records.E003"),
}


@register()
def retention_periods(app_configs, **kwargs) -> list[Error]:
    errors = []
    for name, (minimum, check_id) in MINIMUM_YEARS.items():
        value = getattr(settings, name, None)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            errors.append(
                Error(
                    f"{name} is {value!r}",
                    hint=f"Keep these at least {minimum} years (SPEC §6, the medical records regulations).",
                    id=check_id,
                )
            )
    return errors
