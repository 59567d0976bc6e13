"""Stage 3: from the run's outputs and scores to per-metric comparisons, candidate figures and verdicts.

Reads the store; the statistics themselves are the pure functions of `paritylab.parity`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from paritylab.config import ParityConfig
from paritylab.evaluate.plan import ComparisonPlan
from paritylab.parity import (
    Answer,
    Budgets,
    CandidateVerdict,
    MetricComparison,
    OpsStats,
    StatSettings,
    compare_metric,
    decide,
    ops_stats,
)
from paritylab.parity.compare import pairwise_deltas
from paritylab.store import Store

Pairwise = dict[tuple[str, str], dict[str, tuple[str | None, bool | None, str]]]


@dataclass(frozen=True)
class _RunScores:
    """What the comparisons read: ok scores and pairwise verdicts by (candidate_id, metric)."""

    scores: dict[tuple[str, str], dict[str, float]]
    pairwise: Pairwise
    base_id: str
    stats: StatSettings


@dataclass(frozen=True)
class ParityResult:
    comparisons: dict[str, list[MetricComparison]]  # challenger candidate_id -> all metrics and tags
    ops: dict[str, OpsStats]  # candidate_id -> figures (baseline included)
    verdicts: list[CandidateVerdict]


def stat_settings(cfg: ParityConfig) -> StatSettings:
    return StatSettings(
        cfg.resamples, cfg.seed, cfg.alpha, cfg.ci_method, cfg.power, cfg.min_cases, cfg.max_cases_needed
    )


def budgets(cfg: ParityConfig) -> Budgets:
    return Budgets(
        cfg.max_cost_per_success_ratio,
        cfg.max_p95_latency_ms,
        cfg.max_p95_latency_ratio,
        cfg.max_error_rate_increase,
        cfg.max_judge_failure_rate,
        cfg.max_swap_inconsistency,
    )


def build_parity(store: Store, plan: ComparisonPlan) -> ParityResult:
    cfg = plan.settings.parity
    stats = stat_settings(cfg)
    pairwise = _pairwise(store, plan.run_id)
    data = _RunScores(_ok_scores(store, plan.run_id), pairwise, plan.candidate_id(plan.baseline), stats)
    ops = {plan.candidate_id(n): _ops(store, plan, n, pairwise) for n in plan.names}
    comparisons, verdicts = {}, []
    for name in plan.challengers:
        cid = plan.candidate_id(name)
        comparisons[cid] = [c for metric in cfg.metrics for c in _compare(plan, metric, cid, data)]
        verdicts.append(decide(ops[data.base_id], ops[cid], comparisons[cid], budgets(cfg), stats))
    return ParityResult(comparisons, ops, verdicts)


def _compare(plan: ComparisonPlan, metric: str, cid: str, data: _RunScores) -> list[MetricComparison]:
    """All cases (tag '') and then each tag, in case order."""
    groups: dict[str, list[str]] = defaultdict(list)
    for case in plan.cases:
        for tag in ("", *case.breakdown_tags):
            groups[tag].append(case.case_id)
    gate = plan.settings.parity.metrics[metric]
    judged = data.pairwise.get((cid, metric))
    out = []
    for tag, case_ids in groups.items():
        counts: tuple[int, int, int] | None = None
        if judged is not None:
            winners = [w for k in case_ids if (w := judged.get(k, (None, None, ""))[0]) is not None]
            base, cand, counts = pairwise_deltas(winners)
        else:
            b, c = data.scores.get((data.base_id, metric), {}), data.scores.get((cid, metric), {})
            both = [k for k in case_ids if k in b and k in c]
            base, cand = [b[k] for k in both], [c[k] for k in both]
        out.append(
            compare_metric(
                metric,
                base,
                cand,
                margin=gate.margin,
                gated=gate.gated,
                stats=data.stats,
                tag=tag,
                outcome_counts=counts,
            )
        )
    return out


def _ok_scores(store: Store, run_id: str) -> dict[tuple[str, str], dict[str, float]]:
    out: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for r in store.rows(
        "SELECT candidate_id, metric, case_id, value FROM scores WHERE run_id = ? AND status = 'ok'", [run_id]
    ):
        out[(r["candidate_id"], r["metric"])][r["case_id"]] = float(r["value"])
    return out


def _pairwise(
    store: Store, run_id: str
) -> dict[tuple[str, str], dict[str, tuple[str | None, bool | None, str]]]:
    """(candidate_id, metric) -> case_id -> (winner, consistent, status), from the pairwise judge."""
    out: Pairwise = defaultdict(dict)
    for r in store.rows(
        "SELECT candidate_id, metric, case_id, winner, consistent, status FROM pairwise WHERE run_id = ?",
        [run_id],
    ):
        out[(r["candidate_id"], r["metric"])][r["case_id"]] = (r["winner"], r["consistent"], r["status"])
    return out


def _ops(
    store: Store,
    plan: ComparisonPlan,
    name: str,
    pairwise: Pairwise,
) -> OpsStats:
    cid = plan.candidate_id(name)
    rows = store.rows(
        "SELECT status, cost_usd, latency_ms, simulated FROM outputs WHERE run_id = ? AND candidate_id = ?",
        [plan.run_id, cid],
    )
    answers = [Answer(r["status"] == "ok", r["cost_usd"], r["latency_ms"], r["simulated"]) for r in rows]
    [judged] = store.rows(
        # LLM-judged scores (judge set) and any metric that failed; lexical metrics cannot fail a judge.
        "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'judge_error') AS failed FROM scores "
        "WHERE run_id = ? AND candidate_id = ? AND (judge IS NOT NULL OR status = 'judge_error')",
        [plan.run_id, cid],
    )
    pairs = [v for (c, _), cases in pairwise.items() if c == cid for v in cases.values()]
    n_judged = judged["n"] + len(pairs)
    failed = judged["failed"] + sum(1 for _, _, status in pairs if status != "ok")
    consistent = [bool(ok) for _, ok, status in pairs if status == "ok"]
    return ops_stats(
        cid,
        name,
        plan.settings.candidates[name].model,
        answers,
        is_baseline=name == plan.baseline,
        judge_failure_rate=failed / n_judged if n_judged else None,
        swap_consistency=sum(consistent) / len(consistent) if consistent else None,
    )
