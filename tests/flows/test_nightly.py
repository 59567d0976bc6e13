"""The nightly flow end to end on the session's Prefect API, on the bundled sample logs with the demo
config: every stage leaves its rows, artifacts and a report; a second run of the same night, through
`paritylab demo` (the README's main job), adds no row anywhere, calls no provider and prints the verdicts.

One night, not two: a whole sample night took 20-30 min of a slow 2-core machine, so the demo's command is
tested on the rerun (in-process, through typer's runner: the same code path but the interpreter's start,
which tests/test_cli.py covers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests_support import artifacts_of
from typer.testing import CliRunner

from paritylab.cli import app
from paritylab.store import open_store

ROOT = Path(__file__).resolve().parents[2]


def all_counts(store: Path) -> dict[str, int]:
    with open_store(store, read_only=True) as s:
        tables = [
            r["table_name"] for r in s.rows("SELECT table_name FROM information_schema.tables ORDER BY 1")
        ]
        return {t: s.rows(f'SELECT count(*) AS n FROM "{t}"')[0]["n"] for t in tables}


@pytest.fixture
def night_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Dataset versions and reports go to tmp_path, never into the repository."""
    monkeypatch.setenv("PARITYLAB_CONFIG", str(ROOT / "paritylab.toml"))
    monkeypatch.setenv("PARITYLAB_CASES__DATASETS_DIR", str(tmp_path / "datasets"))
    monkeypatch.setenv("PARITYLAB_REPORT__DIR", str(tmp_path / "reports"))
    yield tmp_path


# A hang guard (setup included: the session's server may still be starting): the night took ~30 min of
# a loaded 2-core machine, the wait for its server 7 more; it now starts first, beside the deployment
# test's server. CI's whole time, as the deployment test's.
@pytest.mark.timeout(5400)
def test_a_night_leaves_every_stage_behind_and_a_rerun_adds_nothing(
    prefect_api: str, night_dirs: Path
) -> None:
    from flows.nightly import nightly_eval

    store = night_dirs / "night.duckdb"
    state = nightly_eval(store=str(store), return_state=True)
    assert state.is_completed()
    report = Path(state.result())
    first = all_counts(store)
    assert first["logs"] == 3000 and first["quarantine"] == 0  # the sample: every call, none malformed
    with open_store(store, read_only=True) as db:
        versions = db.rows("SELECT version, n_added, path FROM dataset_versions ORDER BY version")
        verdicts = {r["candidate"]: r["verdict"] for r in db.rows("SELECT candidate, verdict FROM verdicts")}
        [run] = db.rows("SELECT run_id, status, simulated, summary FROM runs WHERE kind = 'model_upgrade'")
        [online] = db.rows("SELECT count(*) AS n FROM scores WHERE candidate_id = 'production'")
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["n_added"] > 0  # golden, then mined
    assert all(Path(v["path"]).is_dir() for v in versions)
    assert run["run_id"] == "nightly-2026-11-20" and run["status"] == "completed" and run["simulated"]
    assert '"batch_ids"' in run["summary"] and online["n"] > 0
    assert verdicts["cheap-weak"] == "FAIL" and verdicts["cheaper-equivalent"] == "PASS"
    assert first["outputs"] > 4 * 200 and first["scores"] > first["outputs"] and first["parity"] > 0
    assert report.is_file() and report.name == "nightly-2026-11-20.html"
    assert "SIMULATED" in report.read_text(encoding="utf-8")
    found = artifacts_of(state.state_details.flow_run_id)
    assert {"nightly-summary", "parity-report", "model-upgrade-verdicts", "ingest-batches"} <= set(found)
    summary = found["nightly-summary"].data
    assert "**FAIL**" in summary and "nightly-2026-11-20.html" in summary

    demo = CliRunner().invoke(app, ["demo", "--store", str(store)])
    assert demo.exit_code == 0, demo.output
    assert "verdicts of nightly-2026-11-20" in demo.output and "FAIL" in demo.output
    assert f"report: {report}" in demo.output.replace("\n", "")
    assert (night_dirs / "reports" / "index.html").is_file()
    assert all_counts(store) == first  # no row anywhere, ledger included
