"""Times on pages: always the hospital's time (settings.TIME_ZONE), with its zone where a reader could be
elsewhere (a patient abroad, a verifier of a signed record).

    {% load hospital_time %}
    {{ appointment.slot.starts_at|hospital_time:"m-d H:i" }}        → 12-07 14:30 (北京时间)
    {% hospital_zone_note %}                                         → 时间均为北京时间
    {{ item.checked_in_at|hospital_clock:"H:i" }}                    → 14:30, under the note of a list

Templates show times only through these (tests/test_hospital_time.py reads every template), so a time
is never a bare "14:30" on a page that doesn't say which zone it is in.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext

from ihospital.core.time import local, zone_label

register = template.Library()

DEFAULT_FORMAT = "Y-m-d H:i"


@register.filter(expects_localtime=False)
def hospital_clock(value: datetime | None, fmt: str = DEFAULT_FORMAT) -> str:
    """The moment in hospital time, formatted (Django's date format characters), without the zone: for a
    list or a page that says the zone once (``hospital_zone_note``)."""
    if not isinstance(value, datetime):
        return ""
    return date_format(local(value), fmt)


@register.filter(expects_localtime=False)
def hospital_time(value: datetime | None, fmt: str = DEFAULT_FORMAT) -> str:
    """The moment in hospital time with its zone: "14:30 (北京时间)"."""
    if not isinstance(value, datetime):
        return ""
    return gettext("%(time)s (%(zone)s)") % {"time": hospital_clock(value, fmt), "zone": zone_label(value)}


@register.simple_tag
def hospital_zone_note() -> str:
    """One line saying which zone the times on a page are in: "时间均为北京时间"."""
    return gettext("All times are %(zone)s.") % {"zone": zone_label()}
