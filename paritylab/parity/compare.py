"""One metric, one challenger vs the baseline: paired deltas, bootstrap CI, non-inferiority verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from paritylab.parity.bootstrap import CIMethod, paired_ci
from paritylab.parity.power import cases_needed

Verdict = Literal["PASS", "FAIL", "INCONCLUSIVE"]
VERDICT_ORDER: dict[str, int] = {"PASS": 0, "INCONCLUSIVE": 1, "FAIL": 2}
TIE_TOLERANCE = 1e-9  # per-case deltas this close to 0 are ties


@dataclass(frozen=True)
class StatSettings:
    resamples: int = 2000
    seed: int = 0
    alpha: float = 0.05
    ci_method: CIMethod = "percentile"
    power: float = 0.85
    min_cases: int = 30
    max_cases_needed: int = 20_000

    @property
    def confidence_pct(self) -> int:
        return round(100 * (1 - self.alpha))


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    tag: str
    n: int
    baseline_mean: float | None
    candidate_mean: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    margin: float
    gated: bool
    verdict: Verdict
    wins: int
    ties: int
    losses: int
    sd: float | None
    cases_needed: int | None
    capped: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


def classify(ci: tuple[float, float] | None, margin: float, n: int, min_cases: int) -> Verdict:
    """Non-inferiority: PASS when the whole CI is at or above -margin, FAIL when the whole CI is below
    -margin, INCONCLUSIVE otherwise. Below `min_cases` paired cases nothing is decided: a bootstrap of a
    handful of discrete deltas under-covers badly (a single case gives a zero-width interval)."""
    if ci is None or n < min_cases:
        return "INCONCLUSIVE"
    low, high = ci
    if high < -margin:
        return "FAIL"
    if low >= -margin:
        return "PASS"
    return "INCONCLUSIVE"


def compare_metric(
    metric: str,
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    margin: float,
    gated: bool,
    stats: StatSettings,
    tag: str = "",
    outcome_counts: tuple[int, int, int] | None = None,
) -> MetricComparison:
    """Compare paired scores (same case at the same index). `outcome_counts` overrides the
    win/tie/loss counts (a pairwise judge's verdicts) when given."""
    if len(baseline) != len(candidate):
        raise ValueError(f"{metric}: {len(baseline)} baseline scores but {len(candidate)} candidate scores")
    b = np.asarray(baseline, dtype=np.float64)
    c = np.asarray(candidate, dtype=np.float64)
    deltas = c - b
    n = len(deltas)
    ci = paired_ci(
        deltas, resamples=stats.resamples, seed=stats.seed, alpha=stats.alpha, method=stats.ci_method
    )
    verdict = classify(ci, margin, n, stats.min_cases)
    wins, ties, losses = outcome_counts or _counts(deltas)
    sd = float(deltas.std(ddof=1)) if n > 1 else None
    needed, capped = _needed(verdict, deltas, sd, margin, stats)
    return MetricComparison(
        metric=metric,
        tag=tag,
        n=n,
        baseline_mean=float(b.mean()) if n else None,
        candidate_mean=float(c.mean()) if n else None,
        delta=float(deltas.mean()) if n else None,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        margin=margin,
        gated=gated,
        verdict=verdict,
        wins=wins,
        ties=ties,
        losses=losses,
        sd=sd,
        cases_needed=needed,
        capped=capped,
        detail={"ci_method": stats.ci_method, "resamples": stats.resamples, "alpha": stats.alpha},
    )


def _counts(deltas: np.ndarray[Any, np.dtype[np.float64]]) -> tuple[int, int, int]:
    wins = int(np.count_nonzero(deltas > TIE_TOLERANCE))
    losses = int(np.count_nonzero(deltas < -TIE_TOLERANCE))
    return wins, len(deltas) - wins - losses, losses


def _needed(
    verdict: Verdict,
    deltas: np.ndarray[Any, np.dtype[np.float64]],
    sd: float | None,
    margin: float,
    stats: StatSettings,
) -> tuple[int | None, bool]:
    """Only an undecided comparison needs more cases; never advise fewer than `min_cases`."""
    if verdict != "INCONCLUSIVE":
        return None, False
    if sd is None:
        return stats.min_cases, False
    n, capped = cases_needed(
        float(deltas.mean()), sd, margin, alpha=stats.alpha, power=stats.power, cap=stats.max_cases_needed
    )
    return max(n, stats.min_cases, len(deltas) + 1), capped


def pairwise_deltas(winners: Sequence[str]) -> tuple[list[float], list[float], tuple[int, int, int]]:
    """A pairwise judge's verdicts as paired scores in [0, 1]: the winner of a case scores 1, the loser
    0, both 0.5 on a tie (inconsistent orders count as ties). Each case's delta is then +1 / 0 / -1 and
    the mean delta is the candidate's win rate minus its loss rate."""
    base, cand = [], []
    for w in winners:
        c = {"candidate": 1.0, "baseline": 0.0}.get(w, 0.5)
        cand.append(c)
        base.append(1.0 - c)
    wins, losses = winners.count("candidate"), winners.count("baseline")
    return base, cand, (wins, len(winners) - wins - losses, losses)
