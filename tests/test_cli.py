"""The CLI: lazy imports (so --help is instant), clear errors, the smoke eval end to end. (The demo's
command runs in tests/flows/test_nightly.py, on the night that test runs anyway.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paritylab.cli import app, main

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


def test_config_error_is_one_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the entry point's own error handling (`main`), in this process: a process start is a
    minute of a slow CI machine's imports, and the --help test above starts one already."""
    bad = tmp_path / "paritylab.toml"
    bad.write_text('[models.x]\nprovider = "sim"\nmodel = "x"\nconcurency = 3\n')
    monkeypatch.setattr(sys, "argv", ["paritylab", "config", "--config", str(bad)])
    with pytest.raises(SystemExit) as exited:
        main()
    stderr = capsys.readouterr().err
    assert exited.value.code == 2
    assert "unknown key 'models.x.concurency'" in stderr and "did you mean 'concurrency'" in stderr
    assert str(bad) in stderr and "Traceback" not in stderr


def test_smoke_runs_end_to_end_and_the_second_pass_is_cached(tmp_path: Path) -> None:
    store = tmp_path / "demo.duckdb"
    result = run_cli("smoke", "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "SIMULATED" in result.stdout
    assert "56/56 answers from the cache, 0 provider attempts, 0 HTTP requests" in result.stdout
    runs = CliRunner().invoke(app, ["runs", "--store", str(store)])  # in this process: see above
    assert "smoke" in runs.stdout and "completed" in runs.stdout
    ledger = CliRunner().invoke(app, ["ledger", "--store", str(store)])
    assert "anthropic-sdk-sim" in ledger.stdout and "openai-sdk-sim" in ledger.stdout
