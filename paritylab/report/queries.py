"""Reading one run's headline figures from the store: run, verdicts, parity, candidates, trends.

Every function returns plain rows (dicts) exactly as DuckDB gives them: the template formats them and
the JSON export carries them unchanged, so the page, the JSON and the store always agree.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from paritylab.errors import ReportError

if TYPE_CHECKING:
    from paritylab.store.db import Store

Row = dict[str, Any]
VERDICT_ORDER = "CASE verdict WHEN 'FAIL' THEN 0 WHEN 'INCONCLUSIVE' THEN 1 ELSE 2 END"
# The tables a simulated provider or judge can leave rows in; any one of them makes the report SIMULATED.
SIMULATED_SOURCES = ("outputs", "scores", "pairwise", "calls", "candidate_stats", "verdicts")


def load_run(store: Store, run_id: str) -> Row:
    rows = store.rows("SELECT * FROM runs WHERE run_id = ?", [run_id])
    if not rows:
        raise ReportError(f"no run '{run_id}' in {store.path}", hint="list runs with `paritylab runs`")
    run = rows[0]
    for key in ("params", "summary"):
        run[key] = json.loads(run[key]) if isinstance(run[key], str) else (run[key] or {})
    return run


def latest_run_id(store: Store) -> str:
    """The newest run that has something to report (verdicts or candidate figures), else the newest run."""
    rows = store.rows(
        "SELECT run_id FROM runs ORDER BY "
        "(run_id IN (SELECT run_id FROM verdicts UNION SELECT run_id FROM candidate_stats)) DESC, "
        "started_at DESC, run_id DESC LIMIT 1"
    )
    if not rows:
        raise ReportError(
            f"no runs in {store.path} yet", hint="run the nightly eval (or `paritylab demo`) first"
        )
    return str(rows[0]["run_id"])


def simulated_sources(store: Store, run_id: str) -> list[str]:
    """Which tables hold SIMULATED rows for this run (empty: nothing simulated)."""
    found = ["runs"] if store.rows("SELECT 1 FROM runs WHERE run_id = ? AND simulated", [run_id]) else []
    for table in SIMULATED_SOURCES:
        if store.rows(f"SELECT 1 FROM {table} WHERE run_id = ? AND simulated LIMIT 1", [run_id]):
            found.append(table)
    return found


def load_verdicts(store: Store, run_id: str) -> list[Row]:
    return store.rows(
        f"SELECT * FROM verdicts WHERE run_id = ? ORDER BY {VERDICT_ORDER}, candidate, candidate_id", [run_id]
    )


def load_parity(store: Store, run_id: str) -> list[Row]:
    """All parity rows; tag '' (all cases) first, gated metrics first, then by name."""
    return store.rows(
        "SELECT * EXCLUDE (detail) FROM parity WHERE run_id = ? "
        "ORDER BY candidate_id, tag <> '', tag, NOT gated, metric",
        [run_id],
    )


def load_candidates(store: Store, run_id: str) -> list[Row]:
    """candidate_stats rows, baseline first."""
    return store.rows(
        "SELECT * FROM candidate_stats WHERE run_id = ? ORDER BY NOT is_baseline, candidate, candidate_id",
        [run_id],
    )


def load_trend(store: Store, run: Row, nights: int) -> dict[str, Any]:
    """The last `nights` runs of this run's kind up to it: per night and candidate name, the mean score
    per metric and the operational figures."""
    night_rows = store.rows(
        "SELECT run_id, started_at FROM (SELECT run_id, started_at FROM runs "
        "WHERE kind = ? AND started_at <= ? "
        "ORDER BY started_at DESC, run_id DESC LIMIT ?) ORDER BY started_at, run_id",
        [run["kind"], run["started_at"], nights],
    )
    ids = [r["run_id"] for r in night_rows]
    stats = store.rows(
        "SELECT run_id, candidate, is_baseline, cost_per_success_usd, latency_p50_ms, latency_p95_ms, "
        "n_cases - n_ok AS failures FROM candidate_stats WHERE list_contains(?, run_id) "
        "ORDER BY NOT is_baseline, candidate",
        [ids],
    )
    quality = store.rows(
        "SELECT s.run_id, c.candidate, s.metric, avg(s.value) AS mean FROM scores s "
        "JOIN candidate_stats c USING (run_id, candidate_id) "
        "WHERE list_contains(?, s.run_id) AND s.status = 'ok' GROUP BY ALL ORDER BY ALL",
        [ids],
    )
    return {"nights": night_rows, "stats": stats, "quality": quality}
