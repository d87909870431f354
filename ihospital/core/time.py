"""Time is stored in UTC and shown in Asia/Shanghai (settings.TIME_ZONE)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy


def now() -> datetime:
    """The current moment, timezone-aware UTC. Use this, never ``datetime.now()``."""
    return timezone.now()


def local(moment: datetime) -> datetime:
    """The moment as people in the hospital read it (settings.TIME_ZONE, Asia/Shanghai), whatever zone is
    active."""
    if timezone.is_naive(moment):
        raise ValueError("naive datetimes are not allowed; store aware UTC datetimes")
    return timezone.localtime(moment, timezone.get_default_timezone())


def format_local(moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local(moment).strftime(fmt)


def seconds_until(moment: datetime) -> int:
    return max(0, int((moment - now()) / timedelta(seconds=1)))


# The hospital's zone by the name its readers know it by; other zones are named by their offset.
ZONE_NAMES = {"Asia/Shanghai": gettext_lazy("Beijing time, UTC+8")}


def zone_label(moment: datetime | None = None) -> str:
    """The hospital's time zone as shown beside a time a reader elsewhere could misread: "北京时间" in
    Chinese, "Beijing time, UTC+8" in English; "UTC+05:30" for a zone without a name here."""
    name = ZONE_NAMES.get(settings.TIME_ZONE)
    if name is not None:
        return str(name)
    offset = local(moment or now()).strftime("%z")  # "+0530"
    return f"UTC{offset[:3]}:{offset[3:]}"
