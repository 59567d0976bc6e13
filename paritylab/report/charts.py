"""Chart geometry for the inline SVG charts: numbers in, coordinates out.

The templates draw the shapes; every label they print passes through the template engine's escaping.
Nothing here builds markup, so no text from the store can become SVG or HTML.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

PALETTE = ("#5f6b76", "#1f6fd1", "#e07b00", "#8e44ad", "#0f9d8a", "#c2185b")
VERDICT_COLOURS = {"PASS": "#1e8e3e", "FAIL": "#d93025", "INCONCLUSIVE": "#e8a100"}


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 5 x 10^k steps)."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    return [
        round(first + i * step, 12)
        for i in range(int((hi - first) / step) + 2)
        if first + i * step <= hi + 1e-12
    ]


def forest(
    rows: Sequence[dict[str, Any]], width: int = 800, label_w: int = 170, row_h: int = 30
) -> dict[str, Any]:
    """One row per metric: the delta with its CI, a zero line and each metric's margin at -margin."""
    values = [0.0] + [-r["margin"] for r in rows]
    values += [v for r in rows for v in (r["ci_low"], r["ci_high"], r["delta"]) if v is not None]
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.12, 0.005)
    lo, hi = lo - pad, hi + pad
    left, right = label_w, width - 16

    def x(v: float) -> float:
        return round(float(left + (v - lo) / (hi - lo) * (right - left)), 1)

    out_rows = []
    for i, r in enumerate(rows):
        y = 34 + i * row_h
        has = r["delta"] is not None and r["ci_low"] is not None and r["ci_high"] is not None
        out_rows.append(
            {
                "metric": r["metric"],
                "gated": r["gated"],
                "verdict": r["verdict"],
                "y": y,
                "colour": VERDICT_COLOURS.get(r["verdict"], "#555"),
                "has_ci": has,
                "x_low": x(r["ci_low"]) if has else None,
                "x_high": x(r["ci_high"]) if has else None,
                "x_delta": x(r["delta"]) if has else None,
                "x_margin": x(-r["margin"]),
            }
        )
    height = 34 + len(rows) * row_h + 6
    ticks = [{"x": x(t), "label": f"{t:+.2f}" if t else "0"} for t in nice_ticks(lo, hi) if lo <= t <= hi]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": right,
        "x_zero": x(0.0),
        "rows": out_rows,
        "ticks": ticks,
    }


def bars(
    items: Sequence[tuple[str, float | None, str]],
    fmt: Callable[[float | None], str],
    width: int = 420,
    label_w: int = 130,
    row_h: int = 26,
) -> dict[str, Any]:
    """Horizontal bars from zero: (label, value, colour) per bar."""
    top = max([v for _, v, _ in items if v is not None] or [1.0]) or 1.0
    span = width - label_w - 90
    out = [
        {
            "label": label,
            "y": 6 + i * row_h,
            "w": round((v or 0) / top * span, 1),
            "colour": colour,
            "text": fmt(v),
            "x_text": label_w + round((v or 0) / top * span, 1) + 6,
        }
        for i, (label, v, colour) in enumerate(items)
    ]
    return {"width": width, "height": 6 + len(items) * row_h, "left": label_w, "bars": out}


def lines(
    nights: Sequence[str],
    series: dict[str, list[float | None]],
    colours: dict[str, str],
    fmt: Callable[[float | None], str],
    *,
    width: int = 340,
    height: int = 160,
) -> dict[str, Any]:
    """A small line chart: one polyline per series over the nights; gaps where a night has no value."""
    left, right, top, bottom = 78, width - 24, 10, height - 22
    present = [v for vals in series.values() for v in vals if v is not None]
    lo, hi = (min(present), max(present)) if present else (0.0, 1.0)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.1 or 0.5
    lo, hi = lo - pad, hi + pad
    step = (right - left) / max(len(nights) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return round(left + i * step, 1), round(bottom - (v - lo) / (hi - lo) * (bottom - top), 1)

    out = []
    for name, vals in series.items():
        points = [(*xy(i, v), fmt(v), nights[i]) for i, v in enumerate(vals) if v is not None]
        polyline = " ".join(f"{px},{py}" for px, py, _, _ in points)
        out.append(
            {"name": name, "colour": colours.get(name, "#555"), "polyline": polyline, "points": points}
        )
    ticks = [{"y": xy(0, t)[1], "label": fmt(t)} for t in (lo + pad, (lo + hi) / 2, hi - pad)]
    xlabels = [{"x": xy(i, lo)[0], "label": n} for i, n in enumerate(nights) if _label_night(i, len(nights))]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": right,
        "top": top,
        "bottom": bottom,
        "series": out,
        "yticks": ticks,
        "xlabels": xlabels,
    }


def _label_night(i: int, n: int) -> bool:
    """Label the first and last night and a few between, so labels never overlap."""
    every = max(1, math.ceil(n / 5))
    return i in (0, n - 1) or (i % every == 0 and n - 1 - i >= every / 2)
