"""The `runs` table: one row per pipeline or comparison run."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from paritylab.hashing import canonical_json
from paritylab.store.ledger import utcnow

if TYPE_CHECKING:
    from paritylab.store.db import Store


def new_run_id(kind: str) -> str:
    """Sortable, readable and unique: kind, UTC timestamp, random suffix."""
    return f"{kind}-{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def start_run(store: Store, kind: str, params: dict[str, Any], run_id: str | None = None) -> str:
    """Record a run as started (or leave an existing one untouched when resuming with its id)."""
    run_id = run_id or new_run_id(kind)
    store.execute(
        "INSERT OR IGNORE INTO runs (run_id, kind, started_at, status, params) "
        "VALUES (?, ?, ?, 'running', ?)",
        [run_id, kind, utcnow(), canonical_json(params)],
    )
    return run_id


def finish_run(store: Store, run_id: str, status: str, summary: dict[str, Any], simulated: bool) -> None:
    store.execute(
        "UPDATE runs SET finished_at = ?, status = ?, summary = ?, simulated = ? WHERE run_id = ?",
        [utcnow(), status, canonical_json(summary), simulated, run_id],
    )
