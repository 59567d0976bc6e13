"""Daily aggregates per app / model / prompt version / metric, the trailing comparison and the flags."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from paritylab.hashing import canonical_json
from paritylab.online.sample import PRODUCTION
from paritylab.online.stats import Interval, difference_interval, is_degraded, mean_interval, seeded_rng
from paritylab.online.window import RUN_PREFIX, UTC_DAY_SQL, Window
from paritylab.store.ledger import utcnow

if TYPE_CHECKING:
    from paritylab.config import OnlineConfig
    from paritylab.store.db import Store

Group = tuple[str, str, str]  # app, model, prompt_version ('' when not logged)

_CALLS_SQL = f"""
SELECT {UTC_DAY_SQL.format(col="ts")} AS day, coalesce(app, '') AS app, coalesce(model, '') AS model,
       coalesce(prompt_version, '') AS prompt_version, count(*) AS n_calls,
       count(*) FILTER (WHERE status <> 'ok') AS n_errors, coalesce(sum(cost_usd), 0) AS cost_usd,
       quantile_cont(latency_ms, 0.5) FILTER (WHERE status = 'ok') AS p50,
       quantile_cont(latency_ms, 0.95) FILTER (WHERE status = 'ok') AS p95
FROM logs WHERE ts >= ? AND ts < ?
GROUP BY ALL ORDER BY ALL
"""

_SCORES_SQL = f"""
SELECT {UTC_DAY_SQL.format(col="l.ts")} AS day, coalesce(l.app, '') AS app, coalesce(l.model, '') AS model,
       coalesce(l.prompt_version, '') AS prompt_version, s.metric, s.value, s.status
FROM scores s JOIN logs l ON l.log_id = s.case_id
WHERE s.candidate_id = '{PRODUCTION}' AND starts_with(s.run_id, '{RUN_PREFIX}')
  AND l.ts >= ? AND l.ts < ?
"""


@dataclass
class DailyRow:
    day: date
    app: str
    model: str
    prompt_version: str
    metric: str
    n_calls: int
    n_errors: int
    error_rate: float
    cost_usd: float
    cost_per_call_usd: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    n_scored: int = 0
    n_failed: int = 0
    mean: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    trailing_n: int = 0
    trailing_mean: float | None = None
    delta: float | None = None
    delta_ci_low: float | None = None
    delta_ci_high: float | None = None
    degraded: bool = False
    flags: list[str] = field(default_factory=list)

    @property
    def group(self) -> str:
        return "/".join((self.app or "-", self.model or "-", self.prompt_version or "-"))


@dataclass
class _Scores:
    ok: list[float] = field(default_factory=list)
    failed: int = 0


def compute_daily(store: Store, window: Window, cfg: OnlineConfig) -> list[DailyRow]:
    """One row per day of the window, group with logged calls that day, and configured metric."""
    calls = store.rows(_CALLS_SQL, [window.start_ts, window.end_ts])
    since = Window(window.first - timedelta(days=cfg.trailing_days), window.last)
    scores = _scores_by_key(store.rows(_SCORES_SQL, [since.start_ts, since.end_ts]))
    rows = []
    for call in calls:
        for metric in cfg.metrics:
            row = _call_figures(call, metric)
            _add_scores(row, scores, cfg)
            row.flags = _flags(row, cfg)
            rows.append(row)
    return rows


def _scores_by_key(rows: list[dict[str, Any]]) -> dict[tuple[date, Group, str], _Scores]:
    out: dict[tuple[date, Group, str], _Scores] = defaultdict(_Scores)
    for r in rows:
        bucket = out[(r["day"], (r["app"], r["model"], r["prompt_version"]), r["metric"])]
        if r["status"] == "ok":
            bucket.ok.append(float(r["value"]))
        elif r["status"] == "judge_error":
            bucket.failed += 1
    return out


def _call_figures(call: dict[str, Any], metric: str) -> DailyRow:
    n, errors, cost = int(call["n_calls"]), int(call["n_errors"]), float(call["cost_usd"])
    return DailyRow(
        day=call["day"], app=call["app"], model=call["model"], prompt_version=call["prompt_version"],
        metric=metric, n_calls=n, n_errors=errors, error_rate=errors / n, cost_usd=cost,
        cost_per_call_usd=cost / n, latency_p50_ms=call["p50"], latency_p95_ms=call["p95"],
    )  # fmt: skip


def _add_scores(row: DailyRow, scores: dict[tuple[date, Group, str], _Scores], cfg: OnlineConfig) -> None:
    group = (row.app, row.model, row.prompt_version)
    today = scores.get((row.day, group, row.metric), _Scores())
    before = [
        v
        for back in range(1, cfg.trailing_days + 1)
        for v in scores.get((row.day - timedelta(days=back), group, row.metric), _Scores()).ok
    ]
    row.n_scored, row.n_failed, row.trailing_n = len(today.ok), today.failed, len(before)
    rng = seeded_rng(cfg.seed, row.day.isoformat(), *group, row.metric)
    mean = mean_interval(today.ok, cfg.confidence, cfg.bootstrap_resamples, rng)
    if mean is not None:
        row.mean, row.ci_low, row.ci_high = mean.estimate, mean.low, mean.high
    if before:
        row.trailing_mean = sum(before) / len(before)
    if len(today.ok) >= cfg.min_scored and len(before) >= cfg.min_scored:
        delta = difference_interval(today.ok, before, cfg.confidence, cfg.bootstrap_resamples, rng)
        _set_delta(row, delta, cfg.tolerance)
    elif mean is not None and row.trailing_mean is not None:
        row.delta = mean.estimate - row.trailing_mean  # too few items for an interval: never flagged


def _set_delta(row: DailyRow, delta: Interval | None, tolerance: float) -> None:
    if delta is not None:
        row.delta, row.delta_ci_low, row.delta_ci_high = delta.estimate, delta.low, delta.high
        row.degraded = is_degraded(delta, tolerance)


def _flags(row: DailyRow, cfg: OnlineConfig) -> list[str]:
    checks = [
        ("degraded", row.degraded),
        ("over_cost_per_call", _over(row.cost_per_call_usd, cfg.cost_per_call_budget_usd)),
        ("over_daily_cost", _over(row.cost_usd, cfg.daily_cost_budget_usd)),
        ("over_latency_slo", _over(row.latency_p95_ms, cfg.latency_p95_slo_ms)),
        ("over_error_rate", _over(row.error_rate, cfg.error_rate_slo)),
    ]
    return [name for name, hit in checks if hit]


def _over(value: float | None, limit: float | None) -> bool:
    return value is not None and limit is not None and value > limit


def write_daily(store: Store, rows: list[DailyRow], cfg: OnlineConfig) -> int:
    """Upsert the aggregates: recomputing a day replaces its rows, never adds to them."""
    settings = canonical_json(
        cfg.model_dump(include={"tolerance", "confidence", "bootstrap_resamples", "min_scored",
                                "trailing_days", "cost_per_call_budget_usd", "daily_cost_budget_usd",
                                "latency_p95_slo_ms", "error_rate_slo", "seed"})
    )  # fmt: skip
    now = utcnow()
    columns = [*DailyRow.__dataclass_fields__, "settings", "computed_at"]
    values = [(*asdict(r).values(), settings, now) for r in rows]
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT OR REPLACE INTO online_daily ({', '.join(columns)}) VALUES ({marks})"
    store.execute("BEGIN TRANSACTION")
    try:
        store.con.executemany(sql, values)
        store.execute("COMMIT")
    except Exception:
        store.execute("ROLLBACK")
        raise
    return len(rows)


def low_scoring_logs(store: Store, window: Window, threshold: float) -> list[tuple[str, str, float]]:
    """(log_id, metric, value) of logged answers scored below `threshold` in the window, worst first:
    the failure miner's input."""
    rows = store.execute(
        f"""SELECT s.case_id, s.metric, s.value FROM scores s JOIN logs l ON l.log_id = s.case_id
            WHERE s.candidate_id = '{PRODUCTION}' AND starts_with(s.run_id, '{RUN_PREFIX}')
              AND s.status = 'ok' AND s.value < ? AND l.ts >= ? AND l.ts < ?
            ORDER BY s.value, s.case_id, s.metric""",
        [threshold, window.start_ts, window.end_ts],
    ).fetchall()
    return [(str(log_id), str(metric), float(value)) for log_id, metric, value in rows]
