"""Charts drawn on the server as inline SVG: no JavaScript library, nothing fetched by the browser."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape
from typing import Any

PALETTE = ("#2563eb", "#0d9488", "#d97706", "#7c3aed", "#db2777", "#65a30d", "#0891b2", "#dc2626")
INK, MUTED, GRID = "#0f172a", "#64748b", "#e2e8f0"


def _num(value: float | Decimal) -> float:
    return float(value) if isinstance(value, Decimal) else value


def _nice_max(value: float) -> float:
    """A round upper bound for an axis."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:g}"


def _month_label(month: str) -> str:
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{names[int(month[5:7]) - 1]} {month[2:4]}"


def sparkline(values: list, *, width: int = 220, height: int = 44, color: str = PALETTE[0], label: str = "") -> str:
    """Tiny monthly columns for an indicator card."""
    if not values:
        return (
            f'<svg class="spark" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}: no data">'
            f'<line x1="0" y1="{height - 1}" x2="{width}" y2="{height - 1}" stroke="{GRID}"/></svg>'
        )
    nums = [_num(v) for v in values]
    top = max(nums) or 1
    gap = 2
    bar = max(1.0, (width - gap * (len(nums) - 1)) / len(nums))
    parts = [
        (
            f'<svg class="spark" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
            f'aria-label="{escape(label)}">'
        )
    ]
    for i, v in enumerate(nums):
        h = 0 if v <= 0 else max(2.0, (height - 2) * v / top)
        parts.append(
            f'<rect x="{i * (bar + gap):.1f}" y="{height - 1 - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'rx="1.5" fill="{color}" opacity="0.85"/>'
        )
    parts.append(f'<line x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}" stroke="{GRID}"/></svg>')
    return "".join(parts)


def cumulative_chart(
    series: Sequence[tuple[str, float | Decimal, float | Decimal]],
    *,
    target: float | Decimal | None = None,
    title: str = "",
    color: str = PALETTE[0],
    width: int = 560,
    height: int = 240,
) -> str:
    """Monthly columns with the running total as a line and the target as a dashed line."""
    left, right, top_pad, bottom = 44, 12, 16, 28
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    months = [m for m, _, _ in series]
    monthly = [_num(v) for _, v, _ in series]
    running = [_num(c) for _, _, c in series]
    peak = max([*running, *monthly, _num(target) if target is not None else 0, 0])
    axis_max = _nice_max(peak)

    def y(v: float) -> float:
        return top_pad + plot_h - plot_h * v / axis_max

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    for i in range(5):
        v = axis_max * i / 4
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" class="tick">{_short(v)}</text>'
        )
    if not months:
        out.append(
            f'<text x="{left + plot_w / 2}" y="{top_pad + plot_h / 2}" text-anchor="middle" class="empty">'
            "No events yet</text></svg>"
        )
        return "".join(out)
    slot = plot_w / len(months)
    bar = max(2.0, slot * 0.55)
    step = max(1, len(months) // 8)
    points = []
    for i, (month, v, c) in enumerate(zip(months, monthly, running, strict=False)):
        cx = left + slot * i + slot / 2
        out.append(
            f'<rect x="{cx - bar / 2:.1f}" y="{y(v):.1f}" width="{bar:.1f}" height="{max(0.0, y(0) - y(v)):.1f}" '
            f'rx="2" fill="{color}" opacity="0.35"><title>{month}: {_short(v)}</title></rect>'
        )
        points.append(f"{cx:.1f},{y(c):.1f}")
        if i % step == 0:
            out.append(
                f'<text x="{cx:.1f}" y="{height - 8}" text-anchor="middle" class="tick">{_month_label(month)}</text>'
            )
    out.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="2.5" '
        'stroke-linejoin="round"/>'
    )
    last_x, last_y = points[-1].split(",")
    out.append(f'<circle cx="{last_x}" cy="{last_y}" r="3.5" fill="{color}"/>')
    if target is not None:
        ty = y(_num(target))
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{INK}" '
            f'stroke-dasharray="5 4" stroke-width="1.2"/>'
            f'<text x="{width - right}" y="{ty - 5:.1f}" text-anchor="end" class="target-label">'
            f"target {_short(_num(target))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    items: Sequence[tuple[str, float | Decimal]],
    *,
    title: str = "",
    width: int = 560,
    row: int = 26,
    value_format: Callable[[Any], str] | None = None,
    label_width: int = 150,
) -> str:
    """Horizontal bars, one per bucket, largest scale first."""
    fmt = value_format or (lambda v: _short(_num(v)))
    label_w, value_w = label_width, 96
    height = max(row, row * len(items)) + 8
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    if not items:
        out.append(
            f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" class="empty">No data yet</text></svg>'
        )
        return "".join(out)
    top = max(_num(v) for _, v in items) or 1
    plot_w = width - label_w - value_w
    for i, (label, v) in enumerate(items):
        y = 4 + i * row
        w = 0 if _num(v) <= 0 else max(2.0, plot_w * _num(v) / top)
        out.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" class="bar-label">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="3" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + row / 2 + 4:.1f}" class="bar-value">{escape(fmt(v))}'
            "</text>"
        )
    out.append("</svg>")
    return "".join(out)
