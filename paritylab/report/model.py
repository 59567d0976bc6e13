"""One report's content, gathered from the store: the dict the page is drawn from and the JSON export is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paritylab.report import panels, queries

if TYPE_CHECKING:
    from paritylab.config import ReportConfig
    from paritylab.store.db import Store

Row = dict[str, Any]
SCHEMA_VERSION = 1


def collect(store: Store, run_id: str, cfg: ReportConfig) -> dict[str, Any]:
    """Everything one report shows, as rows read from DuckDB (plus a few ratios derived from them)."""
    run = queries.load_run(store, run_id)
    verdicts = queries.load_verdicts(store, run_id)
    parity = queries.load_parity(store, run_id)
    candidates = queries.load_candidates(store, run_id)
    dataset, version = _dataset_of(run, verdicts)
    batches = panels.run_batches(store, run)
    return {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "simulated_sources": queries.simulated_sources(store, run_id),
        "dataset": dataset,
        "dataset_version": version,
        "headline": headline(verdicts),
        "verdicts": verdicts,
        "parity": parity,
        "candidates": _with_baseline_ratios(candidates),
        "trend": queries.load_trend(store, run, cfg.trend_nights),
        "failure_kinds": panels.failure_kinds(batches),
        "new_cases": panels.new_cases(store, dataset, version, cfg.new_cases, cfg.max_text_chars),
        "regressions": _regressions(store, run_id, verdicts, parity, cfg),
        "judge": {
            "candidates": [
                {k: c[k] for k in ("candidate_id", "candidate", "judge_failure_rate", "swap_consistency")}
                for c in candidates
            ],
            "metrics": panels.judge_health(store, run_id),
            "human_agreement": panels.human_agreement(store, run_id),
        },
        "data_quality": panels.data_quality(store, batches, samples=5),
    }


def headline(verdicts: list[Row]) -> str:
    """One line for the index and the `reports` row: every challenger's verdict."""
    if not verdicts:
        return "no parity verdicts in this run"
    return "; ".join(f"{v['candidate']}: {v['verdict']}" for v in verdicts)


def _dataset_of(run: Row, verdicts: list[Row]) -> tuple[str | None, int | None]:
    for v in verdicts:
        if v["dataset"] is not None:
            return v["dataset"], v["dataset_version"]
    params = run["params"]
    return params.get("dataset"), params.get("dataset_version")


def _with_baseline_ratios(candidates: list[Row]) -> list[Row]:
    """Each candidate's cost per success and p95 latency relative to the baseline's
    (e.g. -0.25 = 25% less)."""
    base = next((c for c in candidates if c["is_baseline"]), None)
    for c in candidates:
        c["cost_vs_baseline"] = _ratio(
            c["cost_per_success_usd"], base["cost_per_success_usd"] if base else None
        )
        c["p95_vs_baseline"] = _ratio(c["latency_p95_ms"], base["latency_p95_ms"] if base else None)
    return candidates


def _ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return value / reference - 1


def _regressions(
    store: Store, run_id: str, verdicts: list[Row], parity: list[Row], cfg: ReportConfig
) -> list[Row]:
    """Per challenger, its worst cases on the gated metrics (all metrics when none is gated)."""
    out = []
    for v in verdicts:
        mine = [p for p in parity if p["candidate_id"] == v["candidate_id"] and p["tag"] == ""]
        metrics = [p["metric"] for p in mine if p["gated"]] or [p["metric"] for p in mine]
        rows = panels.regressions(
            store, run_id, v, metrics, limit=cfg.regressions, max_chars=cfg.max_text_chars
        )
        out.append(
            {
                "candidate_id": v["candidate_id"],
                "candidate": v["candidate"],
                "baseline": v["baseline"],
                "metrics": metrics,
                "cases": rows,
            }
        )
    return out
