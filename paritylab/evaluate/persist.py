"""Stage 4: write the comparisons, candidate figures and verdicts of a run (replacing a previous
computation of the same run in one transaction, so a rerun never leaves a mix)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from paritylab.evaluate.analyse import ParityResult
from paritylab.evaluate.plan import ComparisonPlan
from paritylab.hashing import canonical_json
from paritylab.parity import CandidateVerdict, MetricComparison
from paritylab.store import Store
from paritylab.store.ledger import utcnow
from paritylab.store.sql import insert_ignore

TABLES = ("parity", "candidate_stats", "verdicts")


def persist_parity(store: Store, plan: ComparisonPlan, result: ParityResult) -> None:
    base_id = plan.candidate_id(plan.baseline)
    simulated = any(o.simulated for o in result.ops.values())
    parity = [
        _parity_row(plan.run_id, base_id, cid, c) for cid, comps in result.comparisons.items() for c in comps
    ]
    stats = [{"run_id": plan.run_id, **asdict(o)} for o in result.ops.values()]
    verdicts = [_verdict_row(plan, base_id, v, simulated) for v in result.verdicts]
    store.execute("BEGIN TRANSACTION")
    try:
        for table in TABLES:
            store.execute(f"DELETE FROM {table} WHERE run_id = ?", [plan.run_id])
        insert_ignore(store.con, "parity", parity)
        insert_ignore(store.con, "candidate_stats", stats)
        insert_ignore(store.con, "verdicts", verdicts)
        store.execute("COMMIT")
    except BaseException:
        store.execute("ROLLBACK")
        raise


def _parity_row(run_id: str, base_id: str, cid: str, c: MetricComparison) -> dict[str, Any]:
    detail = {**c.detail, "sd": c.sd, "capped": c.capped}
    return {
        "run_id": run_id,
        "baseline_id": base_id,
        "candidate_id": cid,
        "metric": c.metric,
        "tag": c.tag,
        "n": c.n,
        "baseline_mean": c.baseline_mean,
        "candidate_mean": c.candidate_mean,
        "delta": c.delta,
        "ci_low": c.ci_low,
        "ci_high": c.ci_high,
        "margin": c.margin,
        "gated": c.gated,
        "verdict": c.verdict,
        "wins": c.wins,
        "ties": c.ties,
        "losses": c.losses,
        "cases_needed": c.cases_needed,
        "detail": canonical_json(detail),
    }


def _verdict_row(plan: ComparisonPlan, base_id: str, v: CandidateVerdict, simulated: bool) -> dict[str, Any]:
    return {
        "run_id": plan.run_id,
        "baseline_id": base_id,
        "candidate_id": v.candidate_id,
        "baseline": plan.baseline,
        "candidate": v.candidate,
        "verdict": v.verdict,
        "reason": v.reason,
        "cases_needed": v.cases_needed,
        "n_cases": v.n_cases,
        "dataset": plan.dataset,
        "dataset_version": plan.version,
        "simulated": simulated,
        "created_at": utcnow(),
    }
