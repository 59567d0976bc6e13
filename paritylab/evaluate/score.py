"""Stage 2: score every answer with every configured metric; scores are written per batch.

A failed generation gets a `skipped` score row (its failure is counted in the error rate, not hidden
as a zero), and a metric that raises turns into `judge_error` rows for its batch: nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paritylab.evaluate.cases import EvalCase
from paritylab.evaluate.generate import StageSummary, existing_pairs
from paritylab.evaluate.plan import ComparisonPlan
from paritylab.evaluate.rows import Progress, chunks
from paritylab.metrics.base import EvalItem, Metric, MetricContext, Score
from paritylab.metrics.registry import build_metric
from paritylab.providers.runner import Runner
from paritylab.store import Store
from paritylab.store.ledger import utcnow
from paritylab.store.sql import insert_ignore

NO_ANSWER = "no answer to score: generation failed"


async def score_outputs(
    store: Store, runner: Runner | None, plan: ComparisonPlan, progress: Progress | None = None
) -> StageSummary:
    metrics = [build_metric(name, plan.settings) for name in plan.metrics]
    done = existing_pairs(store, "scores", plan.run_id, "metric")
    outputs = store.rows(
        "SELECT case_id, candidate_id, output_text, status, simulated FROM outputs WHERE run_id = ? "
        "ORDER BY candidate_id, case_id",
        [plan.run_id],
    )
    total = len(outputs) * len(metrics)
    if progress:
        progress("score", len(done), total)
    by_case = {c.case_id: c for c in plan.cases}
    written = 0
    for metric in metrics:
        for cid in dict.fromkeys(o["candidate_id"] for o in outputs):
            pending = [
                o
                for o in outputs
                if o["candidate_id"] == cid and (o["case_id"], cid, metric.name) not in done
            ]
            for batch in chunks(pending, plan.settings.parity.batch_size):
                ctx = MetricContext(plan.settings, runner, plan.run_id, cid)
                scores = await _score_batch(metric, batch, by_case, ctx)
                rows = [_row(plan.run_id, metric.name, o, s) for o, s in zip(batch, scores, strict=True)]
                insert_ignore(store.con, "scores", rows)
                written += len(batch)
                if progress:
                    progress("score", len(batch), total)
    return StageSummary(len(done), written)


async def _score_batch(
    metric: Metric, outputs: Sequence[dict[str, Any]], cases: dict[str, EvalCase], ctx: MetricContext
) -> list[Score]:
    answered = [o for o in outputs if o["status"] == "ok"]
    items = [_item(o, cases[o["case_id"]]) for o in answered]
    try:
        scored = await metric.score(items, ctx) if items else []
        if len(scored) != len(items):
            raise RuntimeError(f"returned {len(scored)} scores for {len(items)} items")
    except Exception as exc:  # a metric's failure is recorded per item, never lost
        scored = [Score.failed(metric.name, f"{type(exc).__name__}: {exc}"[:2000]) for _ in items]
    by_case = {o["case_id"]: s for o, s in zip(answered, scored, strict=True)}
    return [by_case.get(o["case_id"]) or Score.skipped(metric.name, NO_ANSWER) for o in outputs]


def _item(output: dict[str, Any], case: EvalCase) -> EvalItem:
    return EvalItem(
        item_id=case.case_id,
        question=case.question,
        output=output["output_text"],
        context=case.context,
        reference=case.reference,
        tags=case.tags,
    )


def _row(run_id: str, metric: str, output: dict[str, Any], score: Score) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "case_id": output["case_id"],
        "candidate_id": output["candidate_id"],
        "metric": metric,
        "value": score.value,
        "label": score.label,
        "rationale": score.rationale or None,
        "status": score.status,
        "error": score.error,
        "judge": score.judge,
        "simulated": score.simulated or bool(output["simulated"]),
        "created_at": utcnow(),
    }
