"""Time is stored in UTC and shown in Asia/Shanghai (settings.TIME_ZONE)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone


def now() -> datetime:
    """The current moment, timezone-aware UTC. Use this, never ``datetime.now()``."""
    return timezone.now()


def local(moment: datetime) -> datetime:
    """The moment as people in the hospital read it (Asia/Shanghai)."""
    if timezone.is_naive(moment):
        raise ValueError("naive datetimes are not allowed; store aware UTC datetimes")
    return timezone.localtime(moment)


def format_local(moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local(moment).strftime(fmt)


def seconds_until(moment: datetime) -> int:
    return max(0, int((moment - now()) / timedelta(seconds=1)))
