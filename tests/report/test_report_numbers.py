"""The numbers on the page and in the JSON export are the DuckDB rows they came from."""

from __future__ import annotations

import json
from typing import Any

from report_html import parse, row
from report_sample import Sample

from paritylab.report import fmt
from paritylab.report.panels import cohen_kappa
from paritylab.store import Store


def _page(sample: Sample) -> Any:
    return parse(sample.paths.html.read_text(encoding="utf-8"))


def _export(sample: Sample) -> dict[str, Any]:
    return dict(json.loads(sample.paths.json.read_text(encoding="utf-8")))


def test_verdicts_on_the_page_and_in_json_equal_the_verdicts_table(sample: Sample, sample_db: Store) -> None:
    page, export = _page(sample), _export(sample)
    rows = sample_db.rows("SELECT * FROM verdicts WHERE run_id = ? ORDER BY candidate", [sample.tonight])
    assert {r["verdict"] for r in rows} == {"FAIL", "INCONCLUSIVE"}  # the sample's tonight
    for r in rows:
        cells = row(page, "verdict-table", candidate=r["candidate"])
        assert cells["verdict"] == r["verdict"]
        assert cells["n-cases"] == fmt.count(r["n_cases"])
        assert cells["cases-needed"] == fmt.count(r["cases_needed"])
        [exported] = [v for v in export["verdicts"] if v["candidate_id"] == r["candidate_id"]]
        assert exported == {**r, "created_at": r["created_at"].isoformat()}
    assert export["headline"] == "; ".join(f"{v['candidate']}: {v['verdict']}" for v in export["verdicts"])


def test_parity_rows_on_the_page_and_in_json_equal_the_parity_table(sample: Sample, sample_db: Store) -> None:
    page, export = _page(sample), _export(sample)
    rows = sample_db.rows(
        "SELECT p.* EXCLUDE (detail), c.candidate FROM parity p "
        "JOIN candidate_stats c USING (run_id, candidate_id) "
        "WHERE run_id = ?",
        [sample.tonight],
    )
    assert len(rows) == len(export["parity"]) > 0
    exported = {(p["candidate_id"], p["metric"], p["tag"]): p for p in export["parity"]}
    for r in rows:
        assert exported[(r["candidate_id"], r["metric"], r["tag"])] == {
            k: v for k, v in r.items() if k != "candidate"
        }
        if r["tag"] != "":
            continue
        cells = row(page, "parity", candidate=r["candidate"], metric=r["metric"])
        assert cells["baseline-mean"] == fmt.score(r["baseline_mean"])
        assert cells["candidate-mean"] == fmt.score(r["candidate_mean"])
        assert cells["delta"] == fmt.delta(r["delta"])
        assert cells["ci"] == f"{fmt.delta(r['ci_low'])} to {fmt.delta(r['ci_high'])}"
        assert cells["margin"] == f"-{fmt.score(r['margin'])}"
        assert cells["n"] == fmt.count(r["n"])


def test_cost_and_latency_equal_candidate_stats(sample: Sample, sample_db: Store) -> None:
    page, export = _page(sample), _export(sample)
    rows = sample_db.rows("SELECT * FROM candidate_stats WHERE run_id = ?", [sample.tonight])
    assert len(rows) == 3
    exported = {c["candidate_id"]: c for c in export["candidates"]}
    base = next(r for r in rows if r["is_baseline"])
    for r in rows:
        cells = row(page, "candidate-table", candidate=r["candidate"])
        assert cells["n-cases"] == fmt.count(r["n_cases"])
        assert cells["n-ok"] == fmt.count(r["n_ok"])
        assert cells["error-rate"] == fmt.pct(r["error_rate"])
        assert cells["cost"] == fmt.usd(r["cost_usd"])
        assert cells["cost-per-success"] == fmt.usd(r["cost_per_success_usd"])
        assert cells["p50"] == fmt.ms(r["latency_p50_ms"])
        assert cells["p95"] == fmt.ms(r["latency_p95_ms"])
        ratio = r["cost_per_success_usd"] / base["cost_per_success_usd"] - 1
        assert exported[r["candidate_id"]] == {
            **r,
            "cost_vs_baseline": ratio,
            "p95_vs_baseline": r["latency_p95_ms"] / base["latency_p95_ms"] - 1,
        }
        judge = row(page, "judge-candidates", candidate=r["candidate"])
        assert judge["judge-failure-rate"] == fmt.pct(r["judge_failure_rate"])
        assert judge["swap-consistency"] == fmt.pct(r["swap_consistency"])


def test_kappa_against_human_labels_is_recomputed_from_the_rows(sample: Sample, sample_db: Store) -> None:
    pairs = sample_db.rows(
        "SELECT s.value >= 0.5 AS judge, h.score >= 0.5 AS human FROM scores s JOIN human_labels h "
        "ON h.case_id = s.case_id AND h.metric = s.metric AND h.candidate_id = s.candidate_id "
        "WHERE s.run_id = ? AND s.status = 'ok' AND s.metric = 'faithfulness'",
        [sample.tonight],
    )
    assert len(pairs) > 100
    kappa = cohen_kappa([(p["judge"], p["human"]) for p in pairs])
    assert kappa is not None and 0.5 < kappa < 0.95  # the sample's reviewer agrees 88% of the time
    assert row(_page(sample), "judge-humans", metric="faithfulness")["kappa"] == fmt.score(kappa)
    [exported] = _export(sample)["judge"]["human_agreement"]
    assert exported["n"] == len(pairs) and exported["kappa"] == kappa


def test_data_quality_totals_equal_the_night_s_ingest_batches(sample: Sample, sample_db: Store) -> None:
    [run] = sample_db.rows("SELECT params->'$.batch_ids' AS ids FROM runs WHERE run_id = ?", [sample.tonight])
    [totals] = sample_db.rows(
        "SELECT sum(seen) AS seen, sum(stored) AS stored, sum(quarantined) AS quarantined, "
        "sum(sampled_out) AS sampled_out FROM ingest_batches WHERE list_contains(?::VARCHAR[], batch_id)",
        [json.loads(run["ids"])],
    )
    page = _page(sample)
    assert page.kpis["seen"] == fmt.count(int(totals["seen"]))
    assert page.kpis["stored"] == fmt.count(int(totals["stored"]))
    assert page.kpis["quarantined"] == fmt.count(int(totals["quarantined"]))
    assert page.kpis["sampled-out"] == fmt.count(int(totals["sampled_out"]))
    exported = _export(sample)["data_quality"]["totals"]
    assert {k: exported[k] for k in totals} == {k: int(v) for k, v in totals.items()}


def test_regressions_are_worst_first_and_real_drops(sample: Sample, sample_db: Store) -> None:
    export = _export(sample)
    for block in export["regressions"]:
        drops = [c["drop"] for c in block["cases"]]
        assert drops == sorted(drops, reverse=True) and all(d > 0 for d in drops)
        for case in block["cases"][:3]:
            [b, c] = [
                sample_db.rows(
                    "SELECT value FROM scores "
                    "WHERE run_id = ? AND case_id = ? AND candidate_id = ? AND metric = ?",
                    [sample.tonight, case["case_id"], cid, case["metric"]],
                )[0]["value"]
                for cid in (export["verdicts"][0]["baseline_id"], block["candidate_id"])
            ]
            assert (case["baseline_value"], case["candidate_value"]) == (b, c)
