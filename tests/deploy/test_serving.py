"""prefect.yaml's deployments and `paritylab serve` built from them (no server needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from paritylab.errors import ConfigError
from paritylab.serving import PREFECT_YAML, build_deployments, read_deployments, require_server

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_yaml_declares_the_three_pipeline_deployments() -> None:
    specs = {s.name: s for s in read_deployments(PREFECT_YAML)}
    assert PREFECT_YAML == ROOT / "prefect.yaml"
    assert specs["nightly-eval"].entrypoint == "flows/nightly.py:nightly_eval"
    assert specs["nightly-eval"].schedules == ({"cron": "30 2 * * *", "timezone": "UTC"},)
    assert specs["online-eval"].schedules == ({"cron": "5 * * * *", "timezone": "UTC"},)  # hourly
    assert specs["model-upgrade"].entrypoint == "flows/model_upgrade.py:model_upgrade"
    assert specs["model-upgrade"].schedules == ()  # manual only


def test_serve_builds_the_same_deployments_with_the_store_passed_down(tmp_path: Path) -> None:
    specs = read_deployments(PREFECT_YAML, only=["nightly-eval", "online-eval", "model-upgrade"])
    built, missing = build_deployments(specs, ROOT, {"store": str(tmp_path / "s.duckdb"), "nope": 1})
    by_name = {d.name: d for d in built}
    expected = {"nightly-eval", "online-eval"} | ({"model-upgrade"} if not missing else set())
    assert set(by_name) == expected and missing in ([], ["model-upgrade"])
    nightly = by_name["nightly-eval"]
    assert nightly.parameters == {"store": str(tmp_path / "s.duckdb")}  # unknown parameters are not passed
    [schedule] = nightly.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 2 * * *", "UTC")
    assert set(nightly._parameter_openapi_schema.properties) >= {"logs", "store", "config", "task_runner"}


def test_unknown_deployment_names_are_errors() -> None:
    with pytest.raises(ConfigError, match="no deployment nightly") as err:
        read_deployments(PREFECT_YAML, only=["nightly"])
    assert "nightly-eval" in (err.value.hint or "")


def test_serve_without_a_server_says_how_to_start_one(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(restore_defaults={PREFECT_API_URL}),
        pytest.raises(ConfigError, match="PREFECT_API_URL"),
    ):
        require_server()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "paritylab.cli", "serve", "--store", str(tmp_path / "s.duckdb")],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 2 and "prefect server start" in done.stderr
