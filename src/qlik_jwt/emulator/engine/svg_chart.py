"""A bar chart as inline SVG: one bar per row, its value written above it, all text escaped.

Accessible on its own: ``role="img"`` with a ``<title>`` and ``<desc>``, and a ``<title>``
on every bar naming its category and value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Bar", "bar_chart_svg"]

_WIDTH = 560
_HEIGHT = 320
_TOP, _BOTTOM, _SIDE = 32, 48, 16


@dataclass(frozen=True)
class Bar:
    """One category: its label, its value (``None`` for null) and the value's text."""

    label: str
    value: float | None
    text: str


def _short(label: str, room: float) -> str:
    """Cut a label that would not fit under its bar (about 10 units a character)."""
    fits = max(3, int(room / 10))
    return label if len(label) <= fits else label[: fits - 1] + "…"


def bar_chart_svg(chart_id: str, title: str, measure: str, bars: Sequence[Bar]) -> str:
    """The SVG markup of a vertical bar chart; ``chart_id`` makes its element ids unique."""
    numbers = [bar.value for bar in bars if bar.value is not None]
    high = max([0.0, *numbers])
    low = min([0.0, *numbers])
    span = (high - low) or 1.0
    plot = _HEIGHT - _TOP - _BOTTOM
    zero_y = _TOP + plot * high / span
    slot = (_WIDTH - 2 * _SIDE) / max(1, len(bars))
    ident = escape(chart_id, quote=True)
    parts = [
        f'<svg class="bar-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" width="100%" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(measure)} for {len(bars)} categories</desc>',
        f'<line x1="{_SIDE}" x2="{_WIDTH - _SIDE}" y1="{zero_y:.1f}" y2="{zero_y:.1f}" '
        'class="axis"/>',
    ]
    for i, bar in enumerate(bars):
        x = _SIDE + i * slot + slot * 0.15
        width = slot * 0.7
        value = bar.value or 0.0
        top = zero_y - plot * max(value, 0.0) / span
        height = plot * abs(value) / span
        label, text = escape(bar.label), escape(bar.text)
        parts.append(
            f'<g class="bar"><rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" '
            f'height="{height:.1f}"><title>{label}: {text}</title></rect>'
            f'<text class="value" x="{x + width / 2:.1f}" y="{min(top, zero_y) - 6:.1f}" '
            f'text-anchor="middle">{text}</text>'
            f'<text class="label" x="{x + width / 2:.1f}" y="{_HEIGHT - _BOTTOM + 24}" '
            f'text-anchor="middle">{escape(_short(bar.label, slot))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
