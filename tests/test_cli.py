"""The CLI: lazy imports (so --help is instant), clear errors, and the demo end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = [
    "prefect",
    "ragas",
    "great_expectations",
    "datasets",
    "torch",
    "openai",
    "anthropic",
    "duckdb",
    "pyarrow",
    "pandas",
    "pydantic",
    "uvicorn",
]


def run_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paritylab.cli", *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys, paritylab.cli as c; sys.argv=['paritylab','--help']\n"
        "try:\n    c.main()\nexcept SystemExit: pass\n"
        f"import json; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_config_error_is_one_clear_message(tmp_path: Path) -> None:
    bad = tmp_path / "paritylab.toml"
    bad.write_text('[models.x]\nprovider = "sim"\nmodel = "x"\nconcurency = 3\n')
    result = run_cli("config", "--config", str(bad))
    assert result.returncode == 2
    assert (
        "unknown key 'models.x.concurency'" in result.stderr and "did you mean 'concurrency'" in result.stderr
    )
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


def test_smoke_runs_end_to_end_and_the_second_pass_is_cached(tmp_path: Path) -> None:
    store = tmp_path / "demo.duckdb"
    result = run_cli("smoke", "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "SIMULATED" in result.stdout
    assert "56/56 answers from the cache, 0 provider attempts, 0 HTTP requests" in result.stdout
    runs = run_cli("runs", "--store", str(store))
    assert "smoke" in runs.stdout and "completed" in runs.stdout
    ledger = run_cli("ledger", "--store", str(store))
    assert "anthropic-sdk-sim" in ledger.stdout and "openai-sdk-sim" in ledger.stdout


@pytest.mark.slow
def test_demo_runs_the_nightly_pipeline_and_prints_verdicts_and_the_report(tmp_path: Path) -> None:
    env = {
        "PARITYLAB_CASES__DATASETS_DIR": str(tmp_path / "datasets"),
        "PARITYLAB_REPORT__DIR": str(tmp_path / "reports"),
        "PREFECT_HOME": str(tmp_path / "prefect"),  # a cold ephemeral API, as on a fresh clone
    }
    result = run_cli("demo", "--store", str(tmp_path / "demo.duckdb"), env=env, timeout=2400)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "verdicts of nightly-2026-11-20" in result.stdout and "FAIL" in result.stdout
    assert (tmp_path / "reports" / "nightly-2026-11-20.html").is_file()
    assert (tmp_path / "reports" / "index.html").is_file()
