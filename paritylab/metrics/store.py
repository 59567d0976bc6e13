"""Persist metric results: `scores` and `pairwise` rows, idempotently (a rerun replaces, never duplicates)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from paritylab.metrics.base import EvalItem, Score
from paritylab.store.ledger import utcnow

if TYPE_CHECKING:
    from paritylab.metrics.judges import PairResult
    from paritylab.store import Store


def _check_value(value: float | None, what: str) -> None:
    # Score refuses NaN for ok rows; this guards rows built by hand, so the table never holds NaN.
    if value is not None and (math.isnan(value) or not 0.0 <= value <= 1.0):
        raise ValueError(f"{what}: value {value} is not in [0, 1]")


def write_scores(
    store: Store, run_id: str, candidate_id: str, items: Sequence[EvalItem], scores: Sequence[Score]
) -> int:
    """One row per (item, score): `scores[i]` belongs to `items[i]`. Returns the rows written."""
    if len(items) != len(scores):
        raise ValueError(f"write_scores: {len(items)} items but {len(scores)} scores; they must pair up")
    now = utcnow()
    rows = []
    for item, s in zip(items, scores, strict=True):
        _check_value(s.value, f"score {s.metric} for case {item.item_id}")
        key = (run_id, item.item_id, candidate_id, s.metric)
        rows.append((*key, s.value, s.label, s.rationale, s.status, s.error, s.judge, s.simulated, now))
    _insert(store, "scores", 12, rows)
    return len(rows)


def write_pairwise(
    store: Store,
    run_id: str,
    baseline_id: str,
    candidate_id: str,
    results: Sequence[PairResult],
    *,
    metric: str = "pairwise",
) -> int:
    """One row per judged pair (its case_id is the result's). Returns the rows written."""
    now = utcnow()
    key = (run_id, baseline_id, candidate_id, metric)
    rows = [_pair_row(key, r, now) for r in results]
    _insert(store, "pairwise", 13, rows)
    return len(rows)


def _pair_row(key: tuple[str, str, str, str], r: PairResult, now: object) -> tuple[object, ...]:
    run_id, baseline_id, candidate_id, metric = key
    return (
        run_id,
        r.case_id,
        baseline_id,
        candidate_id,
        metric,
        r.winner,
        r.consistent,
        r.rationale,
        r.status,
        r.error,
        r.judge,
        r.simulated,
        now,
    )


def _insert(store: Store, table: str, width: int, rows: Sequence[tuple[object, ...]]) -> None:
    if not rows:
        return
    marks = ", ".join(["?"] * width)
    store.execute("BEGIN TRANSACTION")
    try:
        store.con.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", rows)
        store.execute("COMMIT")
    except Exception:
        store.execute("ROLLBACK")
        raise
