"""Which production responses are scored: a seeded, append-stable sample of the answered calls per day.

A call is in the sample when the hash of (seed, log_id) falls below `sample_rate`; the `max_per_day`
lowest hashes of a day are kept. Logs arriving later never push an already sampled call out by rate,
and a rerun picks the same calls, so scoring is incremental and idempotent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from paritylab.metrics.base import EvalItem
from paritylab.online.window import RUN_PREFIX, UTC_DAY_SQL, Window

if TYPE_CHECKING:
    from paritylab.config import OnlineConfig
    from paritylab.store.db import Store

PRODUCTION = "production"  # candidate_id of logged answers in outputs / scores

_SAMPLE_SQL = f"""
WITH answered AS (
    SELECT log_id, {UTC_DAY_SQL.format(col="ts")} AS day, question, input_text, context, output_text,
           ('0x' || substr(md5(? || ':' || log_id), 1, 8))::UBIGINT / 4294967296.0 AS u
    FROM logs
    WHERE ts >= ? AND ts < ? AND status = 'ok' AND output_text IS NOT NULL
), kept AS (
    SELECT *, row_number() OVER (PARTITION BY day ORDER BY u, log_id) AS rank
    FROM answered WHERE u < ?
)
SELECT log_id, day, coalesce(question, input_text, '') AS question, context, output_text
FROM kept WHERE rank <= ?
  AND log_id NOT IN (
      SELECT case_id FROM scores
      WHERE candidate_id = '{PRODUCTION}' AND metric = ? AND starts_with(run_id, '{RUN_PREFIX}')
        AND status IN ('ok', 'skipped'))
ORDER BY day, log_id
"""


@dataclass(frozen=True)
class Chunk:
    """One scoring task's work: a metric and the items it still has to score."""

    metric: str
    items: tuple[EvalItem, ...]


@dataclass(frozen=True)
class ScoringPlan:
    window: Window
    chunks: tuple[Chunk, ...]
    days: dict[str, date]  # log_id -> UTC day, for the run id its output and scores belong to

    @property
    def n_pending(self) -> int:
        return sum(len(c.items) for c in self.chunks)


def plan_scoring(store: Store, window: Window, cfg: OnlineConfig) -> ScoringPlan:
    """Per metric, the sampled answered calls of the window without a final score yet, in chunks.
    Judge errors count as not done: the next run retries them."""
    chunks: list[Chunk] = []
    days: dict[str, date] = {}
    cap = cfg.max_per_day if cfg.max_per_day is not None else 2**62
    for metric in cfg.metrics:
        rows = store.rows(
            _SAMPLE_SQL, [str(cfg.seed), window.start_ts, window.end_ts, cfg.sample_rate, cap, metric]
        )
        items = [_item(row) for row in rows]
        days.update({row["log_id"]: row["day"] for row in rows})
        chunks += [
            Chunk(metric, tuple(items[i : i + cfg.chunk_size])) for i in range(0, len(items), cfg.chunk_size)
        ]
    return ScoringPlan(window, tuple(chunks), days)


def _item(row: dict[str, object]) -> EvalItem:
    return EvalItem(
        item_id=str(row["log_id"]),
        question=str(row["question"]),
        output=str(row["output_text"]),
        context=context_text(row["context"]),
    )


def context_text(raw: object) -> str | None:
    """The logged retrieved documents (a JSON array of texts) joined as the prompt showed them."""
    if raw is None:
        return None
    docs = json.loads(raw) if isinstance(raw, str) else raw
    if isinstance(docs, list):
        texts = [d if isinstance(d, str) else json.dumps(d, ensure_ascii=False) for d in docs]
        return "\n\n".join(texts) or None
    return str(docs)
