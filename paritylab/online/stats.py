"""Percentile bootstrap intervals for a day's mean score and for its difference with the trailing days.

Percentile rather than BCa: the day and the trailing pool are independent samples of a few hundred
bounded scores, where percentile intervals are adequate, and they stay cheap enough to compute for
every app / model / prompt version / metric every hour. Resampling is seeded, so a rerun writes the
same figures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_BATCH = 256  # resamples drawn at once: bounds memory at 256 x n indices


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def seeded_rng(seed: int, *key: str) -> np.random.Generator:
    """A generator seeded by the config seed and a stable hash of the group, independent of call order."""
    import numpy as np

    digest = hashlib.sha256("\x1f".join(key).encode()).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "big")])


def _boot_means(
    values: npt.NDArray[np.float64], resamples: int, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    import numpy as np

    out = np.empty(resamples)
    for start in range(0, resamples, _BATCH):
        size = min(_BATCH, resamples - start)
        idx = rng.integers(0, len(values), size=(size, len(values)))
        out[start : start + size] = values[idx].mean(axis=1)
    return out


def mean_interval(
    values: Sequence[float], confidence: float, resamples: int, rng: np.random.Generator
) -> Interval | None:
    """Mean with its bootstrap interval; None for no values."""
    import numpy as np

    if not values:
        return None
    arr = np.asarray(values, dtype=float)
    means = _boot_means(arr, resamples, rng)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Interval(float(arr.mean()), float(low), float(high))


def difference_interval(
    current: Sequence[float],
    before: Sequence[float],
    confidence: float,
    resamples: int,
    rng: np.random.Generator,
) -> Interval | None:
    """mean(current) - mean(before), both resampled independently; None if either side is empty."""
    import numpy as np

    if not current or not before:
        return None
    a, b = np.asarray(current, dtype=float), np.asarray(before, dtype=float)
    deltas = _boot_means(a, resamples, rng) - _boot_means(b, resamples, rng)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(deltas, [alpha, 1 - alpha])
    return Interval(float(a.mean() - b.mean()), float(low), float(high))


def is_degraded(delta: Interval | None, tolerance: float) -> bool:
    """A drop is flagged only when the whole interval lies below -tolerance: zero excluded, by more
    than the tolerance. A wide interval (few items) or a small drop never flags."""
    return delta is not None and delta.high < -tolerance
