"""Scoring logged answers with reference-free metrics, and recording them as the 'production' candidate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from paritylab import aio
from paritylab.errors import ConfigError
from paritylab.metrics.base import MetricContext, Score
from paritylab.online.sample import PRODUCTION, Chunk
from paritylab.online.window import run_id_for
from paritylab.store.ledger import utcnow
from paritylab.store.sql import registered

if TYPE_CHECKING:
    from paritylab.config import Settings
    from paritylab.metrics.base import Metric
    from paritylab.store.db import Store

REFERENCE_FREE_NEEDS = frozenset({"context"})  # production calls have no reference answer


@dataclass(frozen=True)
class ScoredChunk:
    metric: str
    item_ids: tuple[str, ...]
    scores: tuple[Score, ...]


def online_metrics(settings: Settings) -> list[Metric]:
    """Build the configured metrics up front: an unknown or reference-needing metric fails before any work."""
    from paritylab.metrics.registry import build_metric

    metrics = [build_metric(name, settings) for name in settings.online.metrics]
    for metric in metrics:
        if not metric.needs <= REFERENCE_FREE_NEEDS:
            raise ConfigError(
                f"metric '{metric.name}' needs {', '.join(sorted(metric.needs - REFERENCE_FREE_NEEDS))}, "
                "which logged production calls do not have",
                hint="[online] metrics takes reference-free metrics only (e.g. grounded, or a judge rubric)",
            )
    return metrics


def score_chunk(settings: Settings, chunk: Chunk) -> ScoredChunk:
    """Score one chunk. Failures come back as judge_error Scores (recorded, retried by the next run):
    a metric that raises or miscounts fails its chunk, not the night."""
    from paritylab.metrics.registry import build_metric

    metric = build_metric(chunk.metric, settings)
    ctx = MetricContext(settings=settings, candidate_id=PRODUCTION)
    try:
        scores = aio.run(metric.score(chunk.items, ctx))
        if len(scores) != len(chunk.items):
            raise ValueError(f"returned {len(scores)} scores for {len(chunk.items)} items")
    except Exception as exc:  # a metric bug or outage is recorded per item, never lost
        error = f"{type(exc).__name__}: {exc}"
        scores = [Score.failed(chunk.metric, error) for _ in chunk.items]
    return ScoredChunk(chunk.metric, tuple(i.item_id for i in chunk.items), tuple(scores))


_OUTPUTS_SQL = f"""
INSERT OR IGNORE INTO outputs (run_id, case_id, candidate_id, candidate, model_name, output_text, status,
    error_class, error_message, input_tokens, output_tokens, cost_usd, latency_ms, attempts, created_at)
SELECT DISTINCT b.run_id, l.log_id, '{PRODUCTION}',
       concat_ws('/', coalesce(l.app, ''), coalesce(l.model, ''), coalesce(l.prompt_version, '')),
       l.model, l.output_text, l.status, NULL, l.error, l.input_tokens, l.output_tokens,
       coalesce(l.cost_usd, 0), l.latency_ms, 1, b.created_at
FROM logs l JOIN online_batch b ON b.case_id = l.log_id
"""

# Existing rows stay; only a judge error is replaced by a new attempt (a rerun retries failures).
_SCORES_SQL = f"""
INSERT INTO scores (run_id, case_id, candidate_id, metric, value, label, rationale, status, error, judge,
                    simulated, created_at)
SELECT run_id, case_id, '{PRODUCTION}', metric, value, label, rationale, status, error, judge, simulated,
       created_at
FROM online_batch
ON CONFLICT (run_id, case_id, candidate_id, metric) DO UPDATE SET
    value = excluded.value, label = excluded.label, rationale = excluded.rationale,
    status = excluded.status, error = excluded.error, judge = excluded.judge,
    simulated = excluded.simulated, created_at = excluded.created_at
WHERE scores.status = 'judge_error'
"""


def record_scores(store: Store, days: dict[str, date], scored: list[ScoredChunk]) -> int:
    """Write the logged answers to `outputs` and their scores to `scores`, in one transaction."""
    import pyarrow as pa

    now = utcnow()
    batch = pa.Table.from_pylist(
        [
            {"run_id": run_id_for(days[item_id]), "case_id": item_id, "metric": s.metric, "value": s.value,
             "label": s.label, "rationale": s.rationale, "status": s.status, "error": s.error,
             "judge": s.judge, "simulated": s.simulated, "created_at": now}
            for chunk in scored
            for item_id, s in zip(chunk.item_ids, chunk.scores, strict=True)
        ],
        schema=_batch_schema(pa),
    )  # fmt: skip
    if not batch.num_rows:
        return 0
    with registered(store.con, "online_batch", batch):
        store.execute("BEGIN TRANSACTION")
        try:
            store.execute(_OUTPUTS_SQL)
            store.execute(_SCORES_SQL)
            store.execute("COMMIT")
        except Exception:
            store.execute("ROLLBACK")
            raise
    return int(batch.num_rows)


def _batch_schema(pa: Any) -> Any:
    text, flag = pa.string(), pa.bool_()
    names = ["run_id", "case_id", "metric", "label", "rationale", "status", "error", "judge"]
    return pa.schema(
        [*((n, text) for n in names), ("value", pa.float64()), ("simulated", flag),
         ("created_at", pa.timestamp("us", tz="UTC"))]
    )  # fmt: skip
