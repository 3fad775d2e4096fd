"""Charts as inline SVG, drawn here (no chart library in the page): grouped bars for the
baseline beside the current values, and a curve of the artists' earnings. Every figure
is also in the table beside them; the charts carry a title and a text description for
screen readers. Values are `Decimal` (money and counts as the simulation gives them): they
become pixels here, and only pixels are rounded."""

from __future__ import annotations

from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 420, 220
COLOURS = {"baseline": "#8a94a6", "current": "#1f6feb"}


def _number(value: Decimal) -> str:
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if magnitude >= 1_000:
        return f"{value / 1_000:.1f}k"
    return f"{value:.0f}" if magnitude >= 10 or value == 0 else f"{value:.2f}"


def _frame(title: str, description: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="chart">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
        f'<text x="8" y="16" class="chart-title">{escape(title)}</text>' + "".join(body) + "</svg>"
    )


def bar_chart(title: str, labels: list[str], series: dict[str, list[Decimal]]) -> str:
    """Grouped bars, one group per label, one bar per series; negative values go down."""
    values = [v for vs in series.values() for v in vs]
    zero_value = Decimal(0)
    top, bottom = max([zero_value, *values]), min([zero_value, *values])
    span = (top - bottom) or Decimal(1)
    left, right, upper, lower = 52, WIDTH - 8, 40, HEIGHT - 34
    zero = upper + (top / span) * (lower - upper)
    group = (right - left) / max(1, len(labels))
    bar = group * 0.8 / max(1, len(series))
    body = [
        f'<line x1="{left}" x2="{right}" y1="{zero:.1f}" y2="{zero:.1f}" class="axis"/>',
        f'<text x="{left - 4}" y="{upper + 4}" class="tick" text-anchor="end">{_number(top)}</text>',
    ]
    if bottom < 0:
        body.append(
            f'<text x="{left - 4}" y="{lower}" class="tick" text-anchor="end">{_number(bottom)}</text>'
        )
    parts = []
    for i, label in enumerate(labels):
        x0 = left + i * group + group * 0.1
        for j, (name, vs) in enumerate(series.items()):
            value = vs[i] if i < len(vs) else zero_value
            y = upper + ((top - max(value, zero_value)) / span) * (lower - upper)
            height = abs(value) / span * (lower - upper)
            body.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{y:.1f}" width="{bar * 0.92:.1f}" '
                f'height="{max(height, 0.5):.1f}" fill="{COLOURS.get(name, "#444")}" '
                f'data-series="{escape(name)}" data-value="{value:.2f}">'
                f"<title>{escape(label)}, {escape(name)}: {value:,.2f}</title></rect>"
            )
            parts.append(f"{label} {name} {value:,.2f}")
        body.append(
            f'<text x="{left + i * group + group / 2:.1f}" y="{HEIGHT - 18}" class="tick" '
            f'text-anchor="middle">{escape(label[:22])}</text>'
        )
    body += _legend(series)
    return _frame(title, "; ".join(parts), body)


def _legend(series: dict[str, list[Decimal]]) -> list[str]:
    out = []
    for j, name in enumerate(series):
        x = WIDTH - 170 + j * 85
        out.append(
            f'<rect x="{x}" y="{HEIGHT - 12}" width="10" height="10" '
            f'fill="{COLOURS.get(name, "#444")}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 3}" class="tick">{escape(name)}</text>'
        )
    return out


def curve_chart(title: str, series: dict[str, list[Decimal]]) -> str:
    """Curves from 0 to 1 over the share of artists (the top first): a Lorenz-like curve."""
    left, right, upper, lower = 40, WIDTH - 12, 28, HEIGHT - 34
    body = [
        f'<line x1="{left}" x2="{right}" y1="{lower}" y2="{lower}" class="axis"/>',
        f'<line x1="{left}" x2="{left}" y1="{upper}" y2="{lower}" class="axis"/>',
        f'<text x="{left - 4}" y="{upper + 4}" class="tick" text-anchor="end">100%</text>',
        f'<text x="{left - 4}" y="{lower}" class="tick" text-anchor="end">0</text>',
        f'<text x="{right}" y="{HEIGHT - 20}" class="tick" text-anchor="end">all artists</text>',
    ]
    parts = []
    for name, points in series.items():
        n = max(1, len(points) - 1)
        coordinates = " ".join(
            f"{left + (right - left) * k / n:.1f},{lower - (lower - upper) * v:.1f}"
            for k, v in enumerate(points)
        )
        body.append(
            f'<polyline points="{coordinates}" fill="none" stroke-width="2" '
            f'stroke="{COLOURS.get(name, "#444")}" data-series="{escape(name)}"/>'
        )
        if len(points) > 2:
            parts.append(f"{name}: the top 10% of artists receive {points[2]:.0%}")
    body += _legend(series)
    return _frame(title, "; ".join(parts), body)
