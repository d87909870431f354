"""Django's per-language formats (settings.FORMAT_MODULE_PATH), changed in one way: a date and time shown
without a template filter (the back office's columns and read-only fields, a datetime rendered as is)
carries the hospital's time zone, as the hospital-time template filters do (core/templatetags)."""

from __future__ import annotations

from django.utils import translation

from ihospital.core.time import zone_label


def with_zone(fmt: str, language: str) -> str:
    """``fmt`` followed by the zone in ``language``, escaped so no letter of it is read as a format character."""
    with translation.override(language):
        text = translation.gettext("%(time)s (%(zone)s)") % {"time": "\0", "zone": zone_label()}
    before, after = text.split("\0")
    return (
        "".join("\\" + c if c.isalpha() else c for c in before)
        + fmt
        + "".join("\\" + c if c.isalpha() else c for c in after)
    )
