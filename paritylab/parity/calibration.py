"""Calibration of the verdict rule on simulated paired scores with a known true delta.

Scores are drawn so that the true mean delta is exact, not approximately so after clipping: each case
has a baseline score; with probability `p_same` the candidate scores the same (identical answers are
common between close models), otherwise it draws independently from a distribution whose mean is
shifted by true_delta / (1 - p_same). Two shapes: "continuous" (Beta scores, like token F1) and
"binary" (pass/fail labels, like a judge's verdict).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from paritylab.parity.compare import StatSettings, compare_metric
from paritylab.parity.power import advised_cases

Shape = Literal["continuous", "binary"]


@dataclass(frozen=True)
class ScoreModel:
    shape: Shape = "continuous"
    base_mean: float = 0.7
    concentration: float = 4.0  # Beta(mean * k, (1 - mean) * k)
    p_same: float = 0.5

    def draw(self, rng: np.random.Generator, n: int, true_delta: float) -> tuple[Any, Any]:
        """n paired (baseline, candidate) scores whose true mean delta is exactly `true_delta`."""
        shifted = self.base_mean + true_delta / (1 - self.p_same)
        if not 0 < shifted < 1:
            raise ValueError(f"true delta {true_delta} is out of reach for base mean {self.base_mean}")
        base = self._sample(rng, self.base_mean, n)
        other = self._sample(rng, shifted, n)
        same = rng.random(n) < self.p_same
        return base, np.where(same, base, other)

    def _sample(self, rng: np.random.Generator, mean: float, n: int) -> Any:
        if self.shape == "binary":
            return (rng.random(n) < mean).astype(np.float64)
        k = self.concentration
        return rng.beta(mean * k, (1 - mean) * k, n)

    def delta_sd(self, seed: int = 12345, n: int = 1_000_000) -> float:
        """SD of per-case deltas at true parity, from a large pilot sample (what a pilot run estimates)."""
        base, cand = self.draw(np.random.default_rng(seed), n, 0.0)
        return float(np.std(cand - base, ddof=1))


def advised_n(model: ScoreModel, margin: float, stats: StatSettings) -> int:
    sd = model.delta_sd()
    return max(advised_cases(sd, margin, alpha=stats.alpha, power=stats.power), stats.min_cases)


def verdict_rates(
    model: ScoreModel,
    true_delta: float,
    n: int,
    *,
    trials: int,
    margin: float,
    stats: StatSettings,
    seed: int = 0,
) -> dict[str, float]:
    """Share of PASS / FAIL / INCONCLUSIVE verdicts over `trials` independent simulated runs."""
    counts: Counter[str] = Counter()
    for trial in range(trials):
        rng = np.random.default_rng([seed, trial])
        base, cand = model.draw(rng, n, true_delta)
        trial_stats = replace(stats, seed=seed * 1_000_003 + trial)  # fresh resampling per trial
        result = compare_metric("sim", base, cand, margin=margin, gated=True, stats=trial_stats)
        counts[result.verdict] += 1
    return {v: counts[v] / trials for v in ("PASS", "FAIL", "INCONCLUSIVE")}
