"""`paritylab compare` through the real OpenAI SDK against sim-serve, killed with SIGKILL part-way and
resumed; `paritylab gate` exit codes.

Only the run that is killed is a process of its own: the other commands run in this one through typer's
runner (the same code but the interpreter's start, which tests/test_cli.py covers), each process start
costing a minute of a slow CI machine's imports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from eval_fixtures import SIM_KEY_ENV, insert_cases, kb_cases, smoke_cases, write_config
from typer.testing import CliRunner

from paritylab.cli import app
from paritylab.sim.server import RunningServer, SimServer, start_in_thread
from paritylab.store import open_store

KEY = "sim-test-key-not-secret"
CASES, CHALLENGERS, BATCH = len(kb_cases()), ("equivalent", "weak"), 40


@pytest.fixture
def slow_sim() -> Iterator[RunningServer]:
    """A private sim-serve (its request counter is ours alone), 20 ms per answer."""
    server = start_in_thread(SimServer(latency_ms=20.0, require_key=KEY))
    yield server
    server.stop()


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "paritylab.cli", *args]


def env() -> dict[str, str]:
    return {**os.environ, SIM_KEY_ENV: KEY}


def invoke(*args: str) -> Result:
    """`paritylab ARGS...` in this process; the sim key in the environment, as `env()` gives a child."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SIM_KEY_ENV, KEY)
        return CliRunner().invoke(app, list(args))


def gate(config: Path, run_id: str) -> Result:
    return invoke("gate", run_id, "--config", str(config))


@pytest.fixture
def http_config(tmp_path: Path, slow_sim: RunningServer) -> Path:
    with open_store(tmp_path / "cli.duckdb") as db:
        insert_cases(db, "kb", 1, kb_cases())
        insert_cases(db, "smoke", 1, smoke_cases())
    return write_config(tmp_path / "http.toml", tmp_path / "cli.duckdb", sim_url=slow_sim.url)


def compare_args(config: Path, tmp_path: Path, run_id: str, *extra: str) -> list[str]:
    cands = [a for c in CHALLENGERS for a in ("--candidate", c)]
    common = ["--config", str(config), "--run-id", run_id, "--report-dir", str(tmp_path)]
    return ["compare", *common, *cands, *extra]


def test_sigkill_part_way_then_resume(http_config: Path, slow_sim: RunningServer, tmp_path: Path) -> None:
    total = CASES * (1 + len(CHALLENGERS))
    proc = subprocess.Popen(
        cli(*compare_args(http_config, tmp_path, "k")),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 1500  # a hang guard: the child's imports took minutes on a slow CI machine
    while slow_sim.app.stats["requests"] < total // 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = datetime.now(UTC)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    requests_first = slow_sim.app.stats["requests"]
    with open_store(http_config.parent / "cli.duckdb") as db:
        done_before = db.rows("SELECT request_hash FROM outputs WHERE run_id = 'k'")
        assert db.rows("SELECT count(*) AS n FROM verdicts WHERE run_id = 'k'")[0]["n"] == 0
    # Whole batches only: each batch's outputs are written in one statement, after its calls.
    assert 0 < len(done_before) < total and len(done_before) % (BATCH * (1 + len(CHALLENGERS))) == 0

    resumed = invoke(*compare_args(http_config, tmp_path, "k"))
    assert resumed.exit_code == 0, f"{resumed.output}\n{resumed.exception!r}"
    assert "FAIL: weak FAILS against baseline" in resumed.stdout and "SIMULATED" in resumed.stdout
    with open_store(http_config.parent / "cli.duckdb") as db:
        n = {
            t: db.rows(
                f"SELECT count(*) AS n, count(DISTINCT (case_id, candidate_id)) AS d FROM {t} "
                "WHERE run_id = 'k'"
            )[0]
            for t in ("outputs", "scores")
        }
        repaid = db.rows(
            "SELECT count(*) AS n FROM calls WHERE run_id = 'k' AND status <> 'cache_hit' AND started_at > ? "
            "AND request_hash IN (SELECT unnest(?::VARCHAR[]))",
            [killed_at, [r["request_hash"] for r in done_before]],
        )[0]["n"]
        twice = db.rows(
            "SELECT request_hash FROM calls WHERE run_id = 'k' AND status = 'ok' GROUP BY ALL "
            "HAVING count(*) > 1"
        )
    assert n["outputs"] == {"n": total, "d": total}
    assert n["scores"] == {"n": total * 2, "d": total}  # two metrics per answer, no duplicates
    assert repaid == 0 and twice == []  # completed work was never paid for again
    # The server saw each request once, except at most the batch in flight at the kill.
    assert slow_sim.app.stats["requests"] <= total + BATCH * (1 + len(CHALLENGERS))
    assert slow_sim.app.stats["requests"] - requests_first <= total - len(done_before)

    failed = gate(http_config, "k")
    assert failed.exit_code == 1 and "gate FAIL for run k" in failed.output


def test_gate_exit_codes(http_config: Path, tmp_path: Path) -> None:
    common = ["--config", str(http_config), "--report-dir", str(tmp_path)]
    ok = invoke("compare", *common, "--run-id", "p", "--dataset", "kb@v1", "--candidate", "equivalent")
    assert ok.exit_code == 0, f"{ok.output}\n{ok.exception!r}"
    tiny = invoke("compare", *common, "--run-id", "t", "--dataset", "smoke", "--candidate", "slightly-worse")
    assert tiny.exit_code == 0 and "cases would decide it" in tiny.stdout

    assert gate(http_config, "p").exit_code == 0
    assert gate(http_config, "t").exit_code == 2
    unknown = gate(http_config, "nope")
    assert unknown.exit_code == 3 and "unknown run nope" in unknown.stderr
    with open_store(http_config.parent / "cli.duckdb") as db:
        db.execute("DELETE FROM verdicts WHERE run_id = 't'")
    unfinished = gate(http_config, "t")
    assert unfinished.exit_code == 4 and "no verdicts yet" in unfinished.stderr
    missing = invoke("gate", "p", "--store", str(tmp_path / "none.duckdb"))
    assert missing.exit_code == 3
