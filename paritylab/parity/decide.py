"""One challenger's verdict from its metric comparisons and operational figures, with the sentence a
manager reads.

Order of the rules: a broken budget or a gated metric whose CI lies wholly below -margin FAILs; an
unreliable judge (failure rate or swap inconsistency above its threshold) makes the rest
INCONCLUSIVE, since LLM-judged metrics cannot then be trusted either way; any gated metric still
undecided is INCONCLUSIVE (with the cases that would decide it); otherwise PASS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from paritylab.parity.compare import MetricComparison, StatSettings, Verdict
from paritylab.parity.ops import OpsStats


@dataclass(frozen=True)
class Budgets:
    max_cost_per_success_ratio: float | None = 1.10
    max_p95_latency_ms: float | None = None
    max_p95_latency_ratio: float | None = 1.25
    max_error_rate_increase: float | None = 0.02
    max_judge_failure_rate: float = 0.10
    max_swap_inconsistency: float = 0.20


@dataclass(frozen=True)
class CandidateVerdict:
    candidate_id: str
    candidate: str
    verdict: Verdict
    reason: str
    cases_needed: int | None
    n_cases: int
    budget_breaches: list[str] = field(default_factory=list)
    judge_problems: list[str] = field(default_factory=list)


def budget_breaches(base: OpsStats, cand: OpsStats, budgets: Budgets) -> list[str]:
    """Each broken budget as a phrase; empty when all are met."""
    out = []
    ratio = _ratio(cand.cost_per_success_usd, base.cost_per_success_usd)
    if _over(ratio, budgets.max_cost_per_success_ratio):
        out.append(
            f"cost per successful answer is {ratio:.2f}x the baseline's "
            f"(limit {budgets.max_cost_per_success_ratio:.2f}x)"
        )
    if cand.n_ok == 0:
        out.append("no successful answer at all")
    p95 = cand.latency_p95_ms
    if _over(p95, budgets.max_p95_latency_ms):
        out.append(f"p95 latency is {p95:.0f} ms (limit {budgets.max_p95_latency_ms:.0f} ms)")
    lat_ratio = _ratio(p95, base.latency_p95_ms)
    if _over(lat_ratio, budgets.max_p95_latency_ratio):
        out.append(
            f"p95 latency is {lat_ratio:.2f}x the baseline's (limit {budgets.max_p95_latency_ratio:.2f}x)"
        )
    increase = cand.error_rate - base.error_rate
    if budgets.max_error_rate_increase is not None and increase > budgets.max_error_rate_increase:
        out.append(
            f"error rate is {cand.error_rate:.1%} vs {base.error_rate:.1%} for the baseline "
            f"(allowed increase {budgets.max_error_rate_increase:.1%})"
        )
    return out


def judge_problems(cand: OpsStats, budgets: Budgets) -> list[str]:
    out = []
    if cand.judge_failure_rate is not None and cand.judge_failure_rate > budgets.max_judge_failure_rate:
        out.append(
            f"the judge failed on {cand.judge_failure_rate:.0%} of items "
            f"(limit {budgets.max_judge_failure_rate:.0%})"
        )
    if cand.swap_consistency is not None and 1 - cand.swap_consistency > budgets.max_swap_inconsistency:
        out.append(
            f"the pairwise judge contradicted itself on {1 - cand.swap_consistency:.0%} of pairs "
            f"when the order was swapped (limit {budgets.max_swap_inconsistency:.0%})"
        )
    return out


def decide(
    baseline: OpsStats,
    candidate: OpsStats,
    comparisons: Sequence[MetricComparison],
    budgets: Budgets,
    stats: StatSettings,
) -> CandidateVerdict:
    """The verdict over the all-cases comparisons (tag '') of the gated metrics."""
    gated = [c for c in comparisons if c.gated and c.tag == ""]
    broken = budget_breaches(baseline, candidate, budgets)
    judges = judge_problems(candidate, budgets)
    verdict, reason, needed = _rule(baseline, candidate, gated, broken=broken, judges=judges, stats=stats)
    return CandidateVerdict(
        candidate.candidate_id,
        candidate.candidate,
        verdict,
        reason,
        needed,
        candidate.n_cases,
        broken,
        judges,
    )


def _rule(
    baseline: OpsStats,
    candidate: OpsStats,
    gated: list[MetricComparison],
    *,
    broken: list[str],
    judges: list[str],
    stats: StatSettings,
) -> tuple[Verdict, str, int | None]:
    name, base = candidate.candidate, baseline.candidate
    failed = [c for c in gated if c.verdict == "FAIL"]
    open_ = [c for c in gated if c.verdict == "INCONCLUSIVE"]
    needed = max((c.cases_needed or 0 for c in open_), default=0) or None
    if broken or failed:
        parts = [_worse(c, stats) for c in failed] + broken
        return "FAIL", f"{name} FAILS against {base}: " + "; ".join(parts) + ".", None
    if judges:
        return (
            "INCONCLUSIVE",
            f"{name} cannot be judged reliably against {base}: {'; '.join(judges)}.",
            needed,
        )
    if not gated:
        return "INCONCLUSIVE", f"{name}: no gated metric was computed, so nothing decides it.", None
    if open_:
        undecided = "; ".join(_undecided(c, stats) for c in open_)
        return "INCONCLUSIVE", f"Cannot tell yet whether {name} is as good as {base}: {undecided}.", needed
    fine = "; ".join(_fine(c, stats) for c in gated)
    return "PASS", f"{name} is not worse than {base}: {fine}; {_budgets_met(baseline, candidate)}.", None


def _over(value: float | None, limit: float | None) -> bool:
    """A budget is broken only when both the figure and its limit exist."""
    return value is not None and limit is not None and value > limit


def _ratio(value: float | None, reference: float | None) -> float | None:
    return value / reference if value is not None and reference else None


def _ci(c: MetricComparison, stats: StatSettings) -> str:
    return f"{c.delta:+.3f} ({stats.confidence_pct}% CI {c.ci_low:+.3f} to {c.ci_high:+.3f}, n={c.n})"


def _worse(c: MetricComparison, stats: StatSettings) -> str:
    return f"worse on {c.metric}: {_ci(c, stats)}, beyond the {-c.margin:+.3f} margin"


def _fine(c: MetricComparison, stats: StatSettings) -> str:
    return f"{c.metric} {_ci(c, stats)} stays above the {-c.margin:+.3f} margin"


def _undecided(c: MetricComparison, stats: StatSettings) -> str:
    if c.delta is None:
        return f"{c.metric} has no paired scores"
    if c.n < stats.min_cases:
        where = f"only {c.n} paired cases (at least {stats.min_cases} are needed to decide)"
    else:
        where = f"the CI straddles the {-c.margin:+.3f} margin"
    more = (
        f"more than {c.cases_needed} cases would be needed: the difference is about at the margin"
        if c.capped
        else f"about {c.cases_needed} cases would decide it"
    )
    return f"{c.metric} {_ci(c, stats)}: {where}; {more}"


def _budgets_met(base: OpsStats, cand: OpsStats) -> str:
    cost = _ratio(cand.cost_per_success_usd, base.cost_per_success_usd)
    lat = _ratio(cand.latency_p95_ms, base.latency_p95_ms)
    figures = [
        f"cost per success {cost:.2f}x" if cost is not None else "",
        f"p95 latency {lat:.2f}x" if lat is not None else "",
        f"error rate {cand.error_rate:.1%}",
    ]
    return "budgets met (" + ", ".join(f for f in figures if f) + " vs baseline)"
