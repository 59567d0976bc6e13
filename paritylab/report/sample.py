"""A realistic store for reports, tests and the bench, until the real pipeline writes these tables.

`build_sample_store` writes several past nightly runs (for trends) and tonight's run: three candidates
(one baseline), four metrics (three gated), PASS / FAIL / INCONCLUSIVE verdicts, judge errors,
swap-inconsistent pairwise judgements, human labels, ingest batches with redaction counts, quarantined
rows and new eval cases with failure kinds. With `payloads=True` some log-derived texts are XSS
payloads, to prove the report renders them as text. Everything is flagged SIMULATED when `simulated`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from paritylab.report import sample_sql as sql
from paritylab.report.sample_texts import PAYLOADS, TEXTS

if TYPE_CHECKING:
    from paritylab.store.db import Store

DATASET = "support-qa"
# metric -> (non-inferiority margin, gated, judge model or None for non-LLM metrics)
METRICS: dict[str, tuple[float, bool, str | None]] = {
    "faithfulness": (0.05, True, "sim-judge"),
    "answer_relevancy": (0.05, True, "sim-judge"),
    "token_f1": (0.05, True, None),
    "rouge_l": (0.05, False, None),
}


@dataclass(frozen=True)
class SampleCandidate:
    candidate_id: str
    name: str
    model_name: str
    is_baseline: bool
    shift: tuple[float, ...]  # tonight's mean score change per metric (in METRICS order)
    slope: tuple[float, ...]  # added per night of age: older nights differ by age * slope
    cost_usd: float
    latency_ms: float
    error_rate: float
    swap_flip: float = 0.08  # share of pairwise judgements whose two orders disagree
    sinks_payloads: bool = False  # scores near 0 on the payload cases: they lead its regressions


CANDIDATES = (
    SampleCandidate(
        "c0ffee000001", "support-bot-v12", "sim-good", True, (0, 0, 0, 0), (0, 0, 0, 0), 0.00042, 820.0, 0.004
    ),
    SampleCandidate(
        "c0ffee000002",
        "prompt-v13",
        "sim-equivalent",
        False,
        (-0.012, -0.042, 0.004, 0.01),
        (0.003, 0.012, 0.0, 0.0),
        0.00031,
        760.0,
        0.006,
    ),
    SampleCandidate(
        "c0ffee000003",
        "cheaper-model",
        "sim-weak",
        False,
        (-0.13, -0.035, -0.02, -0.06),
        (0.0, 0.0, 0.0, 0.0),
        0.00011,
        540.0,
        0.021,
        swap_flip=0.15,
        sinks_payloads=True,
    ),
)


@dataclass(frozen=True)
class SamplePlan:
    n_cases: int = 300
    nights: int = 7
    new_cases_per_night: int = 12
    payloads: bool = False
    simulated: bool = True
    human_labels: int = 150  # tonight's first cases labelled by a person (faithfulness)
    first_night: datetime = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    candidates: tuple[SampleCandidate, ...] = CANDIDATES


def build_sample_store(store: Store, plan: SamplePlan | None = None) -> list[str]:
    """Write `plan.nights` nightly runs, oldest first; return their run ids (the last is tonight)."""
    plan = plan or SamplePlan()
    texts = {**TEXTS, "payload": PAYLOADS if plan.payloads else TEXTS["question"]}
    store.execute(sql.MACROS + sql.text_macros(texts))
    _temp_tables(store, plan)
    run_ids = []
    store.execute("BEGIN TRANSACTION")
    try:
        for age in range(plan.nights - 1, -1, -1):
            run_ids.append(_night(store, plan, age))
        store.execute("COMMIT")
    except Exception:
        store.execute("ROLLBACK")
        raise
    return run_ids


def _temp_tables(store: Store, plan: SamplePlan) -> None:
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _night (run_id VARCHAR, age INTEGER, dataset VARCHAR, version INTEGER,"
        " n_cases INTEGER, ts TIMESTAMPTZ, sim BOOLEAN)"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _cand (candidate_id VARCHAR, name VARCHAR, model_name VARCHAR,"
        " is_baseline BOOLEAN, shift DOUBLE[], slope DOUBLE[], cost_usd DOUBLE, latency_ms DOUBLE,"
        " error_rate DOUBLE, swap_flip DOUBLE, sinks_payloads BOOLEAN, ordinal INTEGER)"
    )
    for i, c in enumerate(plan.candidates):
        store.execute(
            "INSERT INTO _cand VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                c.candidate_id,
                c.name,
                c.model_name,
                c.is_baseline,
                list(c.shift),
                list(c.slope),
                c.cost_usd,
                c.latency_ms,
                c.error_rate,
                c.swap_flip,
                c.sinks_payloads,
                i,
            ],
        )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _metric (metric VARCHAR, ordinal INTEGER, margin DOUBLE,"
        " gated BOOLEAN, judge VARCHAR)"
    )
    for i, (name, (margin, gated, judge)) in enumerate(METRICS.items(), start=1):
        store.execute("INSERT INTO _metric VALUES (?, ?, ?, ?, ?)", [name, i, margin, gated, judge])


def _night(store: Store, plan: SamplePlan, age: int) -> str:
    ts = plan.first_night + timedelta(days=plan.nights - 1 - age)
    run_id = f"nightly-{ts:%Y%m%dT%H%M%S}-{plan.nights - age:06x}"
    version = plan.nights - age
    n_cases = plan.n_cases - age * plan.new_cases_per_night
    store.execute(
        "INSERT INTO _night VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_id, age, DATASET, version, n_cases, ts, plan.simulated],
    )
    batch_ids = _ingest_batches(store, run_id, ts, n_cases)
    params = {"dataset": DATASET, "dataset_version": version, "batch_ids": batch_ids}
    store.execute(
        "INSERT INTO runs VALUES (?, 'nightly', ?, ?, 'completed', ?, ?, ?)",
        [run_id, ts, ts + timedelta(minutes=41), json.dumps(params), json.dumps({}), plan.simulated],
    )
    _dataset_version(store, plan, version, n_cases, ts)
    store.execute(sql.EVAL_CASES, [plan.new_cases_per_night, run_id])
    for statement in (sql.OUTPUTS, sql.SCORES, sql.PAIRWISE):
        store.execute(statement, [run_id])
    store.execute(sql.PARITY, [run_id, run_id])
    store.execute(sql.CANDIDATE_STATS, [run_id])
    store.execute(sql.CALLS, [run_id, 20])
    if age == 0:
        store.execute(sql.HUMAN_LABELS, [run_id, plan.human_labels])
    _verdicts(store, run_id, ts)
    return run_id


def _dataset_version(store: Store, plan: SamplePlan, version: int, n_cases: int, ts: datetime) -> None:
    store.execute(
        "INSERT INTO dataset_versions VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?)",
        [
            DATASET,
            version,
            version - 1 if version > 1 else None,
            f"fp{version:04d}",
            n_cases,
            plan.new_cases_per_night if version > 1 else n_cases,
            f"datasets/{DATASET}/v{version}",
            f"datasets/{DATASET}/v{version}.parquet",
            json.dumps({"mined_from": "nightly logs"}),
            ts,
        ],
    )


def _ingest_batches(store: Store, run_id: str, ts: datetime, n_cases: int) -> list[str]:
    ids = []
    for j, (source, fmt) in enumerate((("logs/app-%s.jsonl.gz", "wrapper"), ("otel/spans-%s.json", "otel"))):
        batch_id = f"batch-{run_id[-6:]}-{j}"
        source_name = source % f"{ts:%Y%m%d}"
        seen = 48_000 + 7 * n_cases + 1_000 * j
        quarantined, skipped, already = 37 + j * 5, 120, 0
        stored = n_cases * 4 + 200 * j
        kept = {"sampled": stored - 310, "error": 140, "negative_feedback": 95, "slow": 41, "guardrail": 34}
        store.execute(
            "INSERT INTO ingest_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch_id,
                source_name,
                fmt,
                f"sha256-{batch_id}",
                ts - timedelta(minutes=30),
                ts - timedelta(minutes=25),
                seen,
                stored,
                already,
                quarantined,
                seen - stored - already - quarantined - skipped,
                skipped,
                json.dumps({"blank": skipped}),
                json.dumps(kept),
                json.dumps({"EMAIL": 212 + j, "PHONE": 57, "CARD": 3 + j}),
                json.dumps({"sample_rate": 0.1, "seed": 0}),
                seen * 640,  # content_bytes: ~640 bytes per logged call
            ],
        )
        _quarantine(store, batch_id, source_name, ts, quarantined)
        ids.append(batch_id)
    return ids


def _quarantine(store: Store, batch_id: str, source: str, ts: datetime, count: int) -> None:
    raws = TEXTS["quarantine"]
    rows: list[list[Any]] = []
    for k in range(count):
        reasons = ["json: unexpected end of input"] if k % 3 else ["missing output", "status not ok|error"]
        rows.append(
            [f"q-{batch_id}-{k}", batch_id, source, 1000 + 17 * k, None, raws[k % len(raws)], reasons, ts]
        )
    store.con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _verdicts(store: Store, run_id: str, ts: datetime) -> None:
    """Headline per challenger from its gated all-cases parity rows (the real verdict logic lives in
    paritylab.parity; this mirrors its rules so the sample is coherent)."""
    rows = store.rows(
        "SELECT p.*, c.name AS candidate, b.name AS baseline, n.dataset, n.version, n.sim "
        "FROM parity p JOIN _cand c ON c.candidate_id = p.candidate_id "
        "JOIN _cand b ON b.candidate_id = p.baseline_id JOIN _night n USING (run_id) "
        "WHERE run_id = ? AND tag = '' AND gated ORDER BY p.candidate_id, metric",
        [run_id],
    )
    by_candidate: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_candidate.setdefault(row["candidate_id"], []).append(row)
    for candidate_id, metrics in by_candidate.items():
        verdict, reason, needed = sample_verdict(metrics)
        first = metrics[0]
        store.execute(
            "INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                first["baseline_id"],
                candidate_id,
                first["baseline"],
                first["candidate"],
                verdict,
                reason,
                needed,
                max(m["n"] for m in metrics),
                first["dataset"],
                first["version"],
                first["sim"],
                ts,
            ],
        )


def sample_verdict(metrics: list[dict[str, Any]]) -> tuple[str, str, int | None]:
    """FAIL if any gated metric fails, INCONCLUSIVE if any is undecided, else PASS; with its sentence."""
    failed = [m for m in metrics if m["verdict"] == "FAIL"]
    open_ = [m for m in metrics if m["verdict"] == "INCONCLUSIVE"]
    if failed:
        worst = min(failed, key=lambda m: m["delta"])
        return "FAIL", f"Worse than the baseline on {_describe(worst)}, beyond the margin.", None
    if open_:
        needed = max(m["cases_needed"] for m in open_)
        return "INCONCLUSIVE", f"Not decided yet: {_describe(open_[0])} straddles the margin.", needed
    return (
        "PASS",
        f"No worse than the baseline on all {len(metrics)} gated metrics (95% CIs within margins).",
        None,
    )


def _describe(m: dict[str, Any]) -> str:
    return (
        f"{m['metric']} {m['delta']:+.3f} (95% CI {m['ci_low']:+.3f} to {m['ci_high']:+.3f}, "
        f"margin -{m['margin']:.3f})"
    )
