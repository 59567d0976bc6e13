"""Reading the detail panels of one run: failures and new cases, regressions, judges, data quality."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paritylab.store.db import Store

Row = dict[str, Any]
HUMAN_POSITIVE = {"pass", "yes", "true", "1", "good", "correct", "faithful"}


def run_batches(store: Store, run: Row) -> list[Row]:
    """The ingest batches of a run: those its params (or summary) list under `batch_ids`; without such a
    list, the batches started while the run was running."""
    ids = run["params"].get("batch_ids") or run["summary"].get("batch_ids")
    if ids:
        sql, params = "SELECT * FROM ingest_batches WHERE list_contains(?, batch_id)", [list(ids)]
    else:
        sql = "SELECT * FROM ingest_batches WHERE started_at BETWEEN ? AND coalesce(?, now())"
        params = [run["started_at"], run["finished_at"]]
    rows = store.rows(sql + " ORDER BY started_at, batch_id", params)
    for row in rows:
        for key in ("skipped_kinds", "kept_kinds", "redactions", "sampling"):
            row[key] = json.loads(row[key]) if row[key] else {}
    return rows


def data_quality(store: Store, batches: list[Row], samples: int) -> Row:
    """Rows seen / stored / quarantined / sampled out, PII redactions and quarantine reasons."""
    totals = {
        k: sum(b[k] for b in batches)
        for k in ("seen", "stored", "already_stored", "quarantined", "sampled_out", "skipped")
    }
    redactions: dict[str, int] = {}
    for batch in batches:
        for kind, count in batch["redactions"].items():
            redactions[kind] = redactions.get(kind, 0) + int(count)
    ids = [b["batch_id"] for b in batches]
    reasons = store.rows(
        "SELECT reason, count(*) AS n FROM (SELECT unnest(reasons) AS reason FROM quarantine "
        "WHERE list_contains(?, batch_id)) GROUP BY reason ORDER BY n DESC, reason LIMIT 10",
        [ids],
    )
    examples = store.rows(
        "SELECT source, position, raw, reasons FROM quarantine WHERE list_contains(?, batch_id) "
        "ORDER BY batch_id, position LIMIT ?",
        [ids, samples],
    )
    return {
        "batches": batches,
        "totals": totals,
        "redactions": dict(sorted(redactions.items(), key=lambda kv: (-kv[1], kv[0]))),
        "quarantine_reasons": reasons,
        "quarantine_examples": examples,
    }


def failure_kinds(batches: list[Row]) -> list[Row]:
    """Production calls kept because they failed, per kind, summed over the run's batches."""
    counts: dict[str, int] = {}
    for batch in batches:
        for kind, count in batch["kept_kinds"].items():
            if kind != "sampled":
                counts[kind] = counts.get(kind, 0) + int(count)
    return [{"kind": k, "n": n} for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def new_cases(store: Store, dataset: str | None, version: int | None, limit: int, max_chars: int) -> Row:
    """Cases in this dataset version that its parent did not have: counts per failure kind, and a list."""
    if dataset is None or version is None:
        return {"dataset": dataset, "version": version, "total": 0, "by_kind": [], "cases": []}
    new = (
        "FROM eval_cases e WHERE e.dataset = $d AND e.version = $v AND e.case_id NOT IN ("
        "SELECT case_id FROM eval_cases p WHERE p.dataset = $d AND p.version = "
        "(SELECT parent_version FROM dataset_versions WHERE dataset = $d AND version = $v))"
    )
    args = {"d": dataset, "v": version}
    by_kind = store.rows(
        f"SELECT coalesce(failure_kind, 'curated') AS kind, count(*) AS n {new} "
        "GROUP BY 1 ORDER BY n DESC, kind",
        args,
    )
    cases = store.rows(
        f"SELECT case_id, left(question, {max_chars}) AS question, failure_kind, tags, group_size {new} "
        "ORDER BY failure_kind NULLS LAST, group_size DESC, case_id LIMIT $limit",
        {**args, "limit": limit},
    )
    return {
        "dataset": dataset,
        "version": version,
        "total": sum(r["n"] for r in by_kind),
        "by_kind": by_kind,
        "cases": cases,
    }


REGRESSIONS = """
WITH b AS (SELECT case_id, metric, value FROM scores
           WHERE run_id = $run AND candidate_id = $base AND status = 'ok'),
c AS (SELECT case_id, metric, value, rationale, judge FROM scores
      WHERE run_id = $run AND candidate_id = $cand AND status = 'ok' AND list_contains($metrics, metric)),
worst AS (
    SELECT c.case_id, c.metric, b.value AS baseline_value, c.value AS candidate_value,
           b.value - c.value AS drop, c.rationale, c.judge
    FROM b JOIN c USING (case_id, metric) WHERE c.value < b.value
    QUALIFY row_number() OVER (PARTITION BY c.case_id ORDER BY b.value - c.value DESC, c.metric) = 1
    ORDER BY drop DESC, c.case_id LIMIT $limit),
questions AS (SELECT case_id, any_value(question ORDER BY version DESC) AS question FROM eval_cases
              WHERE (dataset = $dataset OR $dataset IS NULL) AND (version = $version OR $version IS NULL)
                AND case_id IN (SELECT case_id FROM worst) GROUP BY case_id)
SELECT w.*, left(coalesce(q.question, l.question, l.input_text), $chars) AS question,
       left(bo.output_text, $chars) AS baseline_answer, left(co.output_text, $chars) AS candidate_answer,
       left(w.rationale, $chars) AS rationale
FROM worst w
LEFT JOIN questions q USING (case_id)
LEFT JOIN logs l ON l.log_id = w.case_id
LEFT JOIN outputs bo ON bo.run_id = $run AND bo.case_id = w.case_id AND bo.candidate_id = $base
LEFT JOIN outputs co ON co.run_id = $run AND co.case_id = w.case_id AND co.candidate_id = $cand
ORDER BY w.drop DESC, w.case_id
"""


def regressions(
    store: Store, run_id: str, pair: Row, metrics: list[str], *, limit: int, max_chars: int
) -> list[Row]:
    """Cases where the candidate scored below the baseline, worst first (one row per case: its worst
    metric), with the question, both answers and the judge's rationale for the candidate."""
    if limit == 0 or not metrics:
        return []
    return store.rows(
        REGRESSIONS,
        {
            "run": run_id,
            "base": pair["baseline_id"],
            "cand": pair["candidate_id"],
            "metrics": metrics,
            "limit": limit,
            "chars": max_chars,
            "dataset": pair.get("dataset"),
            "version": pair.get("dataset_version"),
        },
    )


def judge_health(store: Store, run_id: str) -> list[Row]:
    """Per metric and judge: how many judgements, how many failed."""
    return store.rows(
        "SELECT metric, judge, count(*) FILTER (WHERE status <> 'skipped') AS judged, "
        "count(*) FILTER (WHERE status = 'judge_error') AS errors, "
        "count(*) FILTER (WHERE status = 'judge_error') "
        "/ nullif(count(*) FILTER (WHERE status <> 'skipped'), 0) AS failure_rate "
        "FROM scores WHERE run_id = ? AND judge IS NOT NULL GROUP BY ALL ORDER BY metric, judge",
        [run_id],
    )


def human_agreement(store: Store, run_id: str) -> list[Row]:
    """Cohen's kappa between the judge (score >= 0.5) and human labels, per metric, when labels exist."""
    pairs = store.rows(
        "SELECT s.metric, s.value >= 0.5 AS judge_pass, h.score, lower(h.label) AS label FROM scores s "
        "JOIN human_labels h ON h.case_id = s.case_id AND h.metric = s.metric "
        "AND (h.candidate_id = s.candidate_id OR h.candidate_id IS NULL) "
        "WHERE s.run_id = ? AND s.status = 'ok' ORDER BY s.metric",
        [run_id],
    )
    by_metric: dict[str, list[tuple[bool, bool]]] = {}
    for p in pairs:
        human = p["score"] >= 0.5 if p["score"] is not None else p["label"] in HUMAN_POSITIVE
        by_metric.setdefault(p["metric"], []).append((bool(p["judge_pass"]), human))
    return [
        {"metric": m, "n": len(v), "agreement": sum(a == b for a, b in v) / len(v), "kappa": cohen_kappa(v)}
        for m, v in by_metric.items()
    ]


def cohen_kappa(pairs: list[tuple[bool, bool]]) -> float | None:
    """Cohen's kappa for two binary raters; None when chance agreement is total (kappa undefined)."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    p_a = sum(a for a, _ in pairs) / n
    p_b = sum(b for _, b in pairs) / n
    chance = p_a * p_b + (1 - p_a) * (1 - p_b)
    return None if chance >= 1 else (observed - chance) / (1 - chance)
