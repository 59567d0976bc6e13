"""Operational figures of one candidate in a run: error rate, cost per successful answer, latency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Answer:
    """What the statistics need of one generated answer."""

    ok: bool
    cost_usd: float
    latency_ms: float | None
    simulated: bool = False


@dataclass(frozen=True)
class OpsStats:
    candidate_id: str
    candidate: str
    model_name: str | None
    is_baseline: bool
    n_cases: int
    n_ok: int
    error_rate: float
    cost_usd: float
    cost_per_success_usd: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    judge_failure_rate: float | None  # share of LLM-judged scores that failed
    swap_consistency: float | None  # pairwise judge: share of pairs whose two orders agreed
    simulated: bool


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default); None without values."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else None


def ops_stats(
    candidate_id: str,
    candidate: str,
    model_name: str | None,
    answers: Sequence[Answer],
    *,
    is_baseline: bool,
    judge_failure_rate: float | None = None,
    swap_consistency: float | None = None,
) -> OpsStats:
    """Cost per success divides everything spent (failed attempts included) by the answers obtained:
    what one usable answer really costs. Latency is over successful answers."""
    ok = [a for a in answers if a.ok]
    cost = sum(a.cost_usd for a in answers)
    latencies = [a.latency_ms for a in ok if a.latency_ms is not None]
    return OpsStats(
        candidate_id=candidate_id,
        candidate=candidate,
        model_name=model_name,
        is_baseline=is_baseline,
        n_cases=len(answers),
        n_ok=len(ok),
        error_rate=(len(answers) - len(ok)) / len(answers) if answers else 0.0,
        cost_usd=cost,
        cost_per_success_usd=cost / len(ok) if ok else None,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        judge_failure_rate=judge_failure_rate,
        swap_consistency=swap_consistency,
        simulated=any(a.simulated for a in answers),
    )
