"""A repeated lab item's trend as an SVG drawn on the server: its values over time as a line, its reference
range as a band behind it, each point coloured by its flag. No script and no style attribute (the site's
Content-Security-Policy), only SVG presentation attributes; it scales to the phone's width (viewBox).

    svg = trend_svg(points=[(moment, 7.2, "H"), …], low=4, high=6, unit="%", title="HbA1c")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 340, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 14, 30
COLOURS = {"N": "#198754", "H": "#dc3545", "L": "#0d6efd", "HH": "#842029", "LL": "#052c65"}


@dataclass(frozen=True)
class Scale:
    """Data → drawing coordinates."""

    first: float
    last: float
    bottom: float
    top: float

    def x(self, moment: datetime) -> float:
        span = (self.last - self.first) or 1.0
        return LEFT + (moment.timestamp() - self.first) / span * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        span = (self.top - self.bottom) or 1.0
        return TOP + (self.top - value) / span * (HEIGHT - TOP - BOTTOM)


def scale_for(points: Sequence[tuple[datetime, Decimal, str]], low: Decimal | None, high: Decimal | None) -> Scale:
    """Both the values and the reference band are in view, with a margin of a tenth of the range."""
    values = [float(value) for _at, value, _flag in points]
    values += [float(bound) for bound in (low, high) if bound is not None]
    bottom, top = min(values), max(values)
    margin = (top - bottom) * 0.1 or abs(top) * 0.1 or 1.0
    bottom = 0.0 if bottom >= 0 and bottom - margin < 0 else bottom - margin
    return Scale(points[0][0].timestamp(), points[-1][0].timestamp(), bottom, top + margin)


def _number(value: float) -> str:
    return f"{value:.3g}"


def trend_svg(
    *,
    points: Sequence[tuple[datetime, Decimal, str]],
    low: Decimal | None,
    high: Decimal | None,
    unit: str,
    title: str,
    date_format: str = "%Y-%m",
) -> str:
    """The chart's markup (safe to embed: every text is escaped). ``points`` oldest first, at least one."""
    scale = scale_for(points, low, high)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'class="trend-chart" aria-label={quoteattr(title)} data-testid="trend-chart">',
        f"<title>{escape(title)}</title>",
    ]
    if low is not None or high is not None:
        band_top = scale.y(float(high)) if high is not None else TOP
        band_bottom = scale.y(float(low)) if low is not None else HEIGHT - BOTTOM
        parts.append(
            f'<rect x="{LEFT}" y="{band_top:.1f}" width="{WIDTH - LEFT - RIGHT}" height="{band_bottom - band_top:.1f}" '
            f'fill="#d1e7dd" data-testid="trend-band"/>'
        )
    for bound in (low, high):
        if bound is not None:
            y = scale.y(float(bound))
            parts.append(
                f'<text x="{LEFT - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end" fill="#495057">'
                f"{_number(float(bound))}</text>"
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#adb5bd"/>'
    )
    line = " ".join(f"{scale.x(at):.1f},{scale.y(float(value)):.1f}" for at, value, _flag in points)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#495057" stroke-width="1.5"/>')
    for at, value, flag in points:
        x, y = scale.x(at), scale.y(float(value))
        label, colour = f"{at:%Y-%m-%d} {value.normalize()} {unit}", COLOURS.get(flag, "#495057")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}" data-flag={quoteattr(flag)}>'
            f"<title>{escape(label)}</title></circle>"
        )
    for at in (points[0][0], points[-1][0]) if len(points) > 1 else (points[0][0],):
        anchor = "start" if at == points[0][0] else "end"
        parts.append(
            f'<text x="{scale.x(at):.1f}" y="{HEIGHT - 10}" font-size="10" text-anchor="{anchor}" fill="#495057">'
            f"{escape(at.strftime(date_format))}</text>"
        )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{TOP - 2}" font-size="10" text-anchor="end" fill="#495057">{escape(unit)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
