"""Number formats of the report: one function per kind of number, used by the templates and the tests.

Missing values show as an em dash, never as 'None' or 'nan'.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

MISSING = "—"


def _num(x: float | None) -> float | None:
    """The number, or None when it is missing or NaN."""
    return None if x is None or math.isnan(x) else x


def score(x: float | None) -> str:
    """A mean score in [0, 1]: three decimals."""
    v = _num(x)
    return MISSING if v is None else f"{v:.3f}"


def delta(x: float | None) -> str:
    """A difference of scores, always signed."""
    v = _num(x)
    return MISSING if v is None else f"{v:+.3f}"


def pct(x: float | None) -> str:
    """A rate in [0, 1] as a percentage with one decimal."""
    v = _num(x)
    return MISSING if v is None else f"{100 * v:.1f}%"


def signed_pct(x: float | None) -> str:
    """A relative change as a signed percentage."""
    v = _num(x)
    return MISSING if v is None else f"{100 * v:+.0f}%"


def usd(x: float | None) -> str:
    """Dollars with three significant digits below $1 (per-answer costs are fractions of a cent)."""
    x = _num(x)
    if x is None:
        return MISSING
    if abs(x) >= 100:
        return f"${x:,.0f}"
    if abs(x) >= 1 or x == 0:
        return f"${x:,.2f}"
    decimals = min(10, 2 - math.floor(math.log10(abs(x))))
    return f"${x:.{decimals}f}"


def ms(x: float | None) -> str:
    v = _num(x)
    return MISSING if v is None else f"{v:,.0f} ms"


def count(x: int | None) -> str:
    return MISSING if x is None else f"{x:,}"


def when(x: datetime | None) -> str:
    """A point in time, in UTC (DuckDB hands TIMESTAMPTZ back in the session's time zone)."""
    return MISSING if x is None else f"{_utc(x):%Y-%m-%d %H:%M} UTC"


def day(x: datetime | None) -> str:
    return MISSING if x is None else f"{_utc(x):%b %d}"


def _utc(x: datetime) -> datetime:
    return x.astimezone(UTC) if x.tzinfo is not None else x


FILTERS = {
    "score": score,
    "delta": delta,
    "pct": pct,
    "signed_pct": signed_pct,
    "usd": usd,
    "ms": ms,
    "count": count,
    "when": when,
    "day": day,
}
