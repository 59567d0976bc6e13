"""Files, the `reports` row, the index, errors, the CLI, formats and chart geometry."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from report_sample import Sample
from typer.testing import CliRunner

from paritylab.cli import app
from paritylab.errors import ReportError
from paritylab.report import fmt, latest_run_id, render_report
from paritylab.report.charts import forest, nice_ticks
from paritylab.report.render import file_stem
from paritylab.report.sample import SamplePlan, build_sample_store
from paritylab.store import Store, open_store
from paritylab.store.runs import start_run


def test_index_lists_every_report_newest_first_with_relative_links(sample: Sample, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    with sample.open() as db:
        for run_id in sample.run_ids[-3:]:
            render_report(db, run_id, out)
        rendered_elsewhere = render_report(db, sample.run_ids[0], tmp_path / "other")
    assert rendered_elsewhere.html.exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    listed = re.findall(r'<tr data-run="([^"]+)"', index)
    assert listed == list(reversed(sample.run_ids[-3:]))  # newest first, and only this folder's reports
    links = re.findall(r'href="([^"]+)"', index)
    assert links and all("/" not in link for link in links)
    moved = shutil.copytree(out, tmp_path / "copied")  # the folder works wherever it is copied
    assert all((moved / link).exists() for link in links)
    assert index.count(">FAIL<") == 3 and ">INCONCLUSIVE<" in index


def test_rerendering_replaces_the_reports_row(sample: Sample, tmp_path: Path) -> None:
    with sample.open() as db:
        first = render_report(db, sample.tonight, tmp_path)
        again = render_report(db, sample.tonight, tmp_path)
        rows = db.rows("SELECT * FROM reports WHERE run_id = ?", [sample.tonight])
    assert first.html == again.html and len(rows) == 1
    [r] = rows
    assert r["path"] == str(again.html.resolve()) and r["json_path"] == str(again.json.resolve())
    assert r["simulated"] is True
    assert r["headline"] == json.loads(again.json.read_text())["headline"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [again.html.name, again.json.name, "index.html"]
    )


def test_simulated_banner_only_when_something_was_simulated(tmp_path: Path) -> None:
    with open_store(tmp_path / "real.duckdb") as db:
        run_ids = build_sample_store(db, SamplePlan(n_cases=60, nights=2, simulated=False))
        page = render_report(db, run_ids[-1], tmp_path / "r").html.read_text()
    assert 'id="simulated-banner"' not in page and ">SIMULATED<" not in page
    with open_store(tmp_path / "sim.duckdb") as db:
        run_ids = build_sample_store(db, SamplePlan(n_cases=60, nights=2))
        page = render_report(db, run_ids[-1], tmp_path / "s").html.read_text()
    assert 'id="simulated-banner"' in page


def test_a_run_without_parity_results_still_renders(store: Store, tmp_path: Path) -> None:
    run_id = start_run(store, "smoke", {"cases": 0})
    paths = render_report(store, run_id, tmp_path)
    page = paths.html.read_text()
    assert "No parity verdicts were recorded for this run." in page
    assert json.loads(paths.json.read_text())["headline"] == "no parity verdicts in this run"
    assert latest_run_id(store) == run_id


def test_clear_errors_for_unknown_runs_empty_stores_and_unwritable_folders(
    store: Store, tmp_path: Path
) -> None:
    with pytest.raises(ReportError, match="no runs") as empty:
        latest_run_id(store)
    assert empty.value.hint
    run_id = start_run(store, "smoke", {})
    with pytest.raises(ReportError, match="no run 'nope'"):
        render_report(store, "nope", tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReportError, match="cannot create the reports folder"):
        render_report(store, run_id, tmp_path / "file" / "reports")
    assert store.rows("SELECT count(*) AS n FROM reports")[0]["n"] == 0  # nothing half-applied


def test_latest_prefers_the_newest_run_with_results(sample: Sample, tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as db:
        run_ids = build_sample_store(db, SamplePlan(n_cases=40, nights=2))
        start_run(db, "smoke", {})  # newer, but nothing to report
        assert latest_run_id(db) == run_ids[-1]


def test_cli_report_latest_and_by_id(sample: Sample, tmp_path: Path) -> None:
    runner = CliRunner()
    store = ["--store", str(sample.store_path), "--dir", str(tmp_path)]
    result = runner.invoke(app, ["report", "--latest", *store])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"{sample.tonight}.html").exists() and (tmp_path / "index.html").exists()
    result = runner.invoke(app, ["report", sample.run_ids[0], *store])
    assert result.exit_code == 0 and f"{sample.run_ids[0]}.json" in result.output
    assert runner.invoke(app, ["report", *store]).exit_code != 0  # neither RUN_ID nor --latest


def test_file_names_are_safe_and_distinct() -> None:
    assert file_stem("nightly-20261108T020000-abc123") == "nightly-20261108T020000-abc123"
    odd = file_stem("../javascript:alert(1)")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", odd) and not odd.startswith(".")
    assert file_stem("a/b") != file_stem("a_b")


def test_number_formats() -> None:
    assert (fmt.usd(0.000114), fmt.usd(0.0925), fmt.usd(1.5), fmt.usd(1234.0), fmt.usd(0.0)) == (
        "$0.000114",
        "$0.0925",
        "$1.50",
        "$1,234",
        "$0.00",
    )
    assert (fmt.pct(0.0233), fmt.delta(-0.1371), fmt.delta(0.0), fmt.ms(1370.6), fmt.count(10000)) == (
        "2.3%",
        "-0.137",
        "+0.000",
        "1,371 ms",
        "10,000",
    )
    assert {fmt.score(None), fmt.usd(None), fmt.pct(float("nan")), fmt.count(None)} == {fmt.MISSING}


def test_forest_geometry_puts_the_margin_left_of_zero_and_the_ci_around_the_delta() -> None:
    rows = [
        {
            "metric": "m",
            "gated": True,
            "verdict": "FAIL",
            "delta": -0.1,
            "ci_low": -0.12,
            "ci_high": -0.08,
            "margin": 0.05,
        },
        {
            "metric": "n",
            "gated": False,
            "verdict": "PASS",
            "delta": None,
            "ci_low": None,
            "ci_high": None,
            "margin": 0.05,
        },
    ]
    chart = forest(rows)
    first, missing = chart["rows"]
    assert first["x_low"] < first["x_delta"] < first["x_high"] < first["x_margin"] < chart["x_zero"]
    assert not missing["has_ci"]
    assert nice_ticks(-0.15, 0.02) == [-0.15, -0.1, -0.05, 0.0]
