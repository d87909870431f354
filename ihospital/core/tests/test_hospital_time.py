"""Every time on a page is the hospital's, and says so where a reader could be elsewhere (issue 9, item 10):
one template library (core/templatetags/hospital_time.py) and a rule every template keeps."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from django.template import Context, Template
from django.utils.translation import override

import ihospital

MOMENT = datetime(2026, 12, 7, 6, 30, tzinfo=UTC)  # 14:30 in Beijing


def rendered(source: str, language: str, **context) -> str:
    with override(language):
        return Template("{% load hospital_time %}" + source).render(Context(context))


def test_a_time_is_shown_in_hospital_time_with_its_zone_in_the_readers_language():
    assert rendered('{{ t|hospital_time:"H:i" }}', "zh-hans", t=MOMENT) == "14:30（北京时间）"
    assert rendered('{{ t|hospital_time:"H:i" }}', "en", t=MOMENT) == "14:30 (Beijing time, UTC+8)"
    assert rendered("{{ t|hospital_time }}", "zh-hans", t=MOMENT) == "2026-12-07 14:30（北京时间）"


def test_a_list_says_its_zone_once_and_shows_the_hospitals_clock():
    assert rendered('{{ t|hospital_clock:"m-d H:i" }}', "en", t=MOMENT) == "12-07 14:30"
    assert rendered("{% hospital_zone_note %}", "zh-hans") == "时间均为北京时间。"
    assert rendered("{% hospital_zone_note %}", "en") == "All times are Beijing time, UTC+8."


def test_the_hospital_zone_is_used_whatever_zone_is_active(settings):
    from django.utils import timezone

    with timezone.override("America/New_York"):  # a request never activates another zone; if one ever did
        assert rendered('{{ t|hospital_time:"H:i" }}', "en", t=MOMENT) == "14:30 (Beijing time, UTC+8)"


def test_a_missing_time_shows_nothing():
    assert rendered('{{ t|hospital_time:"H:i" }}|{{ t|hospital_clock:"H:i" }}', "en", t=None) == "|"


def test_a_zone_without_a_name_is_shown_by_its_offset(settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    assert rendered('{{ t|hospital_time:"H:i" }}', "en", t=MOMENT) == "12:00 (UTC+05:30)"


# Django's date format characters that show a time of day (the rest show dates, which are unambiguous).
TIME_OF_DAY = set("aAbBefgGhHiIsuPTOZUcr")
TEMPLATES = sorted(Path(ihospital.__file__).parent.rglob("templates/**/*.html"))


def template_name(path: Path) -> str:
    return str(path).split("/templates/", 1)[1]


def test_no_template_shows_a_time_of_day_without_the_hospital_time_filters():
    offending = []
    for path in TEMPLATES:
        for kind, fmt in re.findall(r'\|(date|time)\b(?::"([^"]*)")?', path.read_text(encoding="utf-8")):
            if kind == "time" or set(fmt) & TIME_OF_DAY:
                offending.append(f"{template_name(path)}: |{kind}:{fmt!r}")
    assert offending == []


def test_a_page_showing_bare_clock_times_says_their_zone():
    """``hospital_clock`` only where the page shows the zone: the template itself, or one including it."""
    sources = {template_name(path): path.read_text(encoding="utf-8") for path in TEMPLATES}

    def shows_zone(name: str) -> bool:
        if "hospital_zone_note" in sources[name] or "|hospital_time" in sources[name]:
            return True
        return any(f'include "{name}"' in source and shows_zone(other) for other, source in sources.items())

    assert [name for name, source in sources.items() if "|hospital_clock" in source and not shows_zone(name)] == []


def test_a_time_shown_without_a_filter_says_its_zone_too():
    """The back office's columns and read-only fields render datetimes by the language's DATETIME_FORMAT."""
    plain = Template("{{ t }}")
    with override("zh-hans"):
        assert plain.render(Context({"t": MOMENT})) == "2026年12月7日 14:30（北京时间）"
    with override("en"):
        assert plain.render(Context({"t": MOMENT})) == "Dec. 7, 2026, 2:30 p.m. (Beijing time, UTC+8)"
