"""The online eval in three steps (plan, score, record), each usable alone: the flow maps the middle one
over chunks on its task runner; `run_online` chains them in-process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from paritylab.online.daily import DailyRow, compute_daily, low_scoring_logs, write_daily
from paritylab.online.sample import ScoringPlan, plan_scoring
from paritylab.online.score import ScoredChunk, online_metrics, record_scores, score_chunk
from paritylab.online.window import Window, resolve_window, run_id_for
from paritylab.store import open_store
from paritylab.store.runs import finish_run, start_run

if TYPE_CHECKING:
    from paritylab.config import Settings
    from paritylab.store.db import Store


@dataclass
class OnlineSummary:
    window: Window | None  # None: the store holds no logs yet
    report_days: list[date] = field(default_factory=list)
    scored_now: int = 0
    rows: list[DailyRow] = field(default_factory=list)  # the report days' aggregates
    low_scoring: int = 0
    simulated: bool = False

    @property
    def flagged(self) -> list[DailyRow]:
        return [r for r in self.rows if r.flags]


def plan_online(settings: Settings, days: int | None = None, end: date | None = None) -> ScoringPlan | None:
    """Check the metrics, resolve the window and list what is still to be scored (None: no logs)."""
    online_metrics(settings)
    cfg = settings.online
    with _open(settings) as store:
        window = resolve_window(store, days or cfg.window_days, cfg.trailing_days, end)
        return None if window is None else plan_scoring(store, window, cfg)


def record_online(
    settings: Settings, plan: ScoringPlan | None, scored: list[ScoredChunk], days: int | None = None
) -> OnlineSummary:
    """The flow's one store writer: outputs and scores, one run row per day, the daily aggregates."""
    if plan is None:
        return OnlineSummary(window=None)
    cfg = settings.online
    with _open(settings) as store:
        n = record_scores(store, plan.days, scored)
        rows = compute_daily(store, plan.window, cfg)
        write_daily(store, rows, cfg)
        simulated = _record_runs(store, plan.window, rows)
        low = low_scoring_logs(store, plan.window, cfg.low_score_threshold)
    report_days = plan.window.days()[-(days or cfg.window_days) :]
    return OnlineSummary(
        window=plan.window,
        report_days=report_days,
        scored_now=n,
        rows=[r for r in rows if r.day in report_days],
        low_scoring=len(low),
        simulated=simulated,
    )


def run_online(settings: Settings, days: int | None = None, end: date | None = None) -> OnlineSummary:
    """Plan, score every chunk in this process, record."""
    plan = plan_online(settings, days, end)
    scored = [score_chunk(settings, chunk) for chunk in plan.chunks] if plan else []
    return record_online(settings, plan, scored, days)


def _record_runs(store: Store, window: Window, rows: list[DailyRow]) -> bool:
    """One `runs` row per scored day (kind 'online'); returns whether any score was SIMULATED."""
    any_simulated = False
    for day in window.days():
        run_id = run_id_for(day)
        [stats] = store.rows(
            "SELECT count(*) AS n, coalesce(bool_or(simulated), false) AS sim FROM scores WHERE run_id = ?",
            [run_id],
        )
        start_run(store, "online", {"day": day.isoformat()}, run_id)
        day_rows = [r for r in rows if r.day == day]
        summary = {
            "scores": stats["n"],
            "groups": len(day_rows),
            "flags": sum(len(r.flags) for r in day_rows),
        }
        finish_run(store, run_id, "completed", summary, simulated=bool(stats["sim"]))
        any_simulated = any_simulated or bool(stats["sim"])
    return any_simulated


def _open(settings: Settings) -> Store:
    return open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s)
