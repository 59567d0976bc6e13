"""Paired bootstrap confidence intervals for the mean of per-case deltas.

Why BCa by default: per-case deltas of bounded scores are discrete and often skewed (most cases tie at
0, a few move by a lot in one direction). The percentile interval is only first-order accurate and
under-covers on such data at small n; BCa (Efron 1987) corrects the bootstrap distribution's median
bias (z0) and skewness (acceleration a, from the jackknife) and is second-order accurate. For a mean the
jackknife is O(n) (leave-one-out means in closed form), so BCa costs no more than the percentile
method. `bench/parity_calibration.py` measures both; the percentile method remains selectable.

Small samples: a bootstrap interval is too narrow at small n (it estimates the variance with 1/n and
uses normal quantiles). We use Hesterberg's expanded interval ("What teachers should know about the
bootstrap", 2015): the nominal alpha is replaced by alpha' with z(1 - alpha'/2) =
sqrt(n / (n - 1)) * t(1 - alpha/2, n - 1), which widens the interval like a t-interval would. Without
it the false-PASS rate at 30 cases measured 5-7% (nominal 2.5%); with it, within target.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

CIMethod = Literal["bca", "percentile"]
FloatArray = npt.NDArray[np.float64]
_STD_NORMAL = NormalDist()
_MAX_CELLS = 4_000_000  # resamples x cases drawn at once: bounds memory at ~32 MB of indices


def bootstrap_means(deltas: FloatArray, resamples: int, seed: int) -> FloatArray:
    """Means of `resamples` resamples (with replacement) of `deltas`, seeded: same input, same output."""
    n = len(deltas)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    step = max(1, _MAX_CELLS // max(n, 1))
    for start in range(0, resamples, step):
        k = min(step, resamples - start)
        means[start : start + k] = deltas[rng.integers(0, n, size=(k, n))].mean(axis=1)
    return means


def percentile_ci(boot: FloatArray, alpha: float) -> tuple[float, float]:
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def bca_ci(deltas: FloatArray, boot: FloatArray, alpha: float) -> tuple[float, float]:
    """Bias-corrected and accelerated interval for the mean of `deltas`, from its bootstrap means."""
    theta = float(deltas.mean())
    b = len(boot)
    # Ties with theta are common with discrete scores: count them half, as the mid-p convention does.
    below = (np.count_nonzero(boot < theta) + 0.5 * np.count_nonzero(boot == theta)) / b
    z0 = _STD_NORMAL.inv_cdf(min(max(below, 1 / (b + 1)), b / (b + 1)))
    n = len(deltas)
    jack = (deltas.sum() - deltas) / (n - 1)
    dev = jack.mean() - jack
    denom = 6.0 * float(np.sum(dev**2)) ** 1.5
    accel = float(np.sum(dev**3)) / denom if denom > 0 else 0.0
    levels = []
    for z_alpha in (_STD_NORMAL.inv_cdf(alpha / 2), _STD_NORMAL.inv_cdf(1 - alpha / 2)):
        shifted = z0 + (z0 + z_alpha) / (1 - accel * (z0 + z_alpha))
        levels.append(_STD_NORMAL.cdf(shifted))
    low, high = np.quantile(boot, levels)
    return float(low), float(high)


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile by the Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5): within 1e-3
    of the exact value for df >= 5, which is all the verdicts need (and no scipy dependency)."""
    x = _STD_NORMAL.inv_cdf(p)
    g1 = (x**3 + x) / 4
    g2 = (5 * x**5 + 16 * x**3 + 3 * x) / 96
    g3 = (3 * x**7 + 19 * x**5 + 17 * x**3 - 15 * x) / 384
    g4 = (79 * x**9 + 776 * x**7 + 1482 * x**5 - 1920 * x**3 - 945 * x) / 92160
    return x + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def expanded_alpha(alpha: float, n: int) -> float:
    """The nominal level that makes a bootstrap interval as wide as a t-interval at n cases."""
    if n < 3:
        return alpha
    widened = math.sqrt(n / (n - 1)) * t_quantile(1 - alpha / 2, n - 1)
    return 2 * (1 - _STD_NORMAL.cdf(widened))


def paired_ci(
    deltas: FloatArray, *, resamples: int, seed: int, alpha: float, method: CIMethod = "bca"
) -> tuple[float, float] | None:
    """(1 - alpha) CI of the mean delta; None without data. Constant deltas give a zero-width interval
    (the bootstrap cannot see variation the sample does not have: `min_cases` guards against that)."""
    if len(deltas) == 0:
        return None
    if len(deltas) == 1 or float(np.ptp(deltas)) == 0.0:
        mean = float(deltas.mean())
        return mean, mean
    boot = bootstrap_means(deltas, resamples, seed)
    level = expanded_alpha(alpha, len(deltas))
    return bca_ci(deltas, boot, level) if method == "bca" else percentile_ci(boot, level)
