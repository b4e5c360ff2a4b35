"""Horizontal bar charts as inline SVG: no script, no external asset, readable when printed."""

from __future__ import annotations

from html import escape

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 230
BAR_AREA = 360
VALUE_WIDTH = 90
COLOURS = {"monolith": "#4c78a8", "distributed": "#e45756", "event_driven": "#54a24b"}
OTHER_COLOUR = "#888888"


def bar_chart(title: str, bars: list[tuple[str, str, float | None]], unit: str) -> str:
    """bars: (label, variant, value); a None value is drawn as "n/a" with no bar."""
    values = [value for _, _, value in bars if value is not None]
    top = max(values, default=0.0) or 1.0
    height = 28 + len(bars) * (BAR_HEIGHT + GAP)
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, variant, value) in enumerate(bars):
        y = 28 + index * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT - 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{text_y}" font-size="12"'
            f' text-anchor="end">{escape(label)}</text>'
        )
        if value is None:
            parts.append(f'<text x="{LABEL_WIDTH}" y="{text_y}" font-size="12">n/a</text>')
            continue
        length = max(1.0, value / top * BAR_AREA) if value > 0 else 0.0
        colour = COLOURS.get(variant, OTHER_COLOUR)
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}"'
            f' fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{text_y}" font-size="12">'
            f"{value:g} {escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
