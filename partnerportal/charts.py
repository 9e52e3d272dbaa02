"""Server-rendered SVG charts: the same markup in the browser and in WeasyPrint PDFs.

No JavaScript and no inline styles (the Content-Security-Policy forbids them): colours and
sizes are SVG presentation attributes. Every chart has a <title> and <desc> for screen
readers, and the numbers are printed on the chart, so it reads without hovering.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe

BAR = "#1b4f8a"
BAR_ALT = "#f08c00"
GRID = "#dde3ea"
TEXT = "#344054"
MUTED = "#5b6675"
FONT = "Noto Sans, DejaVu Sans, Arial, sans-serif"


def _fmt(value_format: str, value: float) -> str:
    try:
        return value_format.format(value)
    except (ValueError, TypeError):
        return str(value)


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" class="chart-svg" font-family="{FONT}" font-size="12" fill="{TEXT}">'
        f"<title>{escape(str(title))}</title><desc>{escape(str(desc))}</desc>"
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text node above is escaped


def _describe(items: Sequence[tuple[str, float]], value_format: str) -> str:
    return "; ".join(f"{label}: {_fmt(value_format, value)}" for label, value in items)


def _truncate(label: str, limit: int) -> str:
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: str = "{:.0f}",
    max_value: float | None = None,
    width: int = 640,
    label_width: int = 200,
    highlight: str | None = None,
) -> SafeString:
    """Horizontal bars, one per (label, value); good for categories with long names."""
    items = [(str(label), float(value or 0)) for label, value in items]
    row, pad = 26, 8
    height = max(len(items), 1) * row + pad * 2
    top = max([v for _, v in items] + [max_value or 0, 0]) or 1
    plot = width - label_width - 60
    body = []
    if not items:
        body.append(f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="{MUTED}">—</text>')
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        bar = max(plot * value / top, 0)
        colour = BAR_ALT if highlight is not None and label == highlight else BAR
        body.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end">{escape(_truncate(label, 32))}'
            f"<title>{escape(label)}</title></text>"
            f'<rect x="{label_width}" y="{y + 4}" width="{bar:.1f}" height="{row - 8}" rx="3" fill="{colour}"/>'
            f'<text x="{label_width + bar + 6:.1f}" y="{y + 17}" fill="{MUTED}">{escape(_fmt(value_format, value))}</text>'
        )
    return _svg(width, height, title, _describe(items, value_format), body)


def column_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: str = "{:.0f}",
    width: int = 640,
    height: int = 240,
    max_value: float | None = None,
) -> SafeString:
    """Vertical bars, e.g. one per month or per score."""
    items = [(str(label), float(value or 0)) for label, value in items]
    left, right, top_pad, bottom = 40, 10, 20, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top, ticks = _axis(0, max([v for _, v in items] + [max_value or 0, 0]) or 1, value_format)
    n = max(len(items), 1)
    slot = plot_w / n
    bar_w = max(min(slot * 0.7, 48), 2)
    body = [_y_grid(left, width - right, top_pad, plot_h, ticks, value_format, lo=0, top=top)]
    every = max(1, round(n / 12))  # thin the axis labels so they never overlap
    for i, (label, value) in enumerate(items):
        x = left + i * slot + (slot - bar_w) / 2
        h = plot_h * value / top
        y = top_pad + plot_h - h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="2" fill="{BAR}">'
            f"<title>{escape(label)}: {escape(_fmt(value_format, value))}</title></rect>"
        )
        if n <= 16 and value:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="10" fill="{MUTED}">'
                f"{escape(_fmt(value_format, value))}</text>"
            )
        if i % every == 0:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="10">'
                f"{escape(_truncate(label, 10))}</text>"
            )
    return _svg(width, height, title, _describe(items, value_format), body)


def line_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    value_format: str = "{:.1f}",
    y_min: float | None = None,
    y_max: float | None = None,
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """A line over ordered labels (e.g. months); None leaves a gap."""
    items = [(str(label), None if value is None else float(value)) for label, value in items]
    left, right, top_pad, bottom = 40, 16, 20, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    values = [v for _, v in items if v is not None]
    lo = y_min if y_min is not None else min(values + [0])
    hi = y_max if y_max is not None else max(values + [1])
    hi, ticks = _axis(lo, hi if hi > lo else lo + 1, value_format, extend=y_max is None)
    span = hi - lo
    n = max(len(items), 1)
    step = plot_w / max(n - 1, 1)
    body = [_y_grid(left, width - right, top_pad, plot_h, ticks, value_format, lo=lo, top=hi)]
    segments, current = [], []
    every = max(1, round(n / 12))
    for i, (label, value) in enumerate(items):
        x = left + i * step if n > 1 else left + plot_w / 2
        if value is None:
            if current:
                segments.append(current)
            current = []
        else:
            y = top_pad + plot_h - plot_h * (value - lo) / span
            current.append((x, y))
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BAR}">'
                f"<title>{escape(label)}: {escape(_fmt(value_format, value))}</title></circle>"
            )
        if i % every == 0:
            body.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="10">'
                f"{escape(_truncate(label, 10))}</text>"
            )
    if current:
        segments.append(current)
    for seg in segments:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
        body.insert(1, f'<polyline points="{points}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    described = [(label, v) for label, v in items if v is not None]
    return _svg(width, height, title, _describe(described, value_format), body)


def _axis(lo: float, top: float, value_format: str, *, extend: bool = True) -> tuple[float, list[float]]:
    """Ticks at a round step (1, 2, 2.5 or 5 times a power of ten; whole numbers when the
    labels show no decimals), so every printed label is the value its line stands for.
    With `extend`, the top grows to the next tick. Returns (top, ticks)."""
    span = top - lo
    whole = "." not in _fmt(value_format, 0.5)
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = 10 * magnitude
    for factor in (1, 2, 2.5, 5):
        candidate = factor * magnitude
        if candidate >= raw and not (whole and candidate != int(candidate)):
            step = candidate
            break
    if whole:
        step = max(step, 1)
    count = math.ceil(span / step - 1e-9) if extend else math.floor(span / step + 1e-9)
    if extend:
        top = lo + count * step
    return top, [lo + k * step for k in range(count + 1)]


def _y_grid(
    x0: float, x1: float, top_pad: float, plot_h: float, ticks: list[float], value_format: str, *, lo: float, top: float
) -> str:
    lines = []
    span = (top - lo) or 1
    for value in ticks:
        y = top_pad + plot_h - plot_h * (value - lo) / span
        lines.append(
            f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="{MUTED}">'
            f"{escape(_fmt(value_format, value))}</text>"
        )
    return "".join(lines)
