"""A real deployment, end to end: `prefect server start` on loopback, a process work pool, the
deployments of prefect.yaml, a process worker; nightly-eval and the Dask option triggered through the
API, their artifacts and logs read back; everything started here is stopped (always)."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from deploy_procs import Started, free_port, start, stop, wait_healthy

from paritylab.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.timeout(5400)]  # hang guards: CI machines were seen 15-20x slow
ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")
LOGS = ROOT / "datasets/sample/logs"
NIGHT_LOGS = LOGS / "wrapper-2026-11-20.jsonl"  # 286 calls
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@dataclass
class Deployed:
    url: str
    env: dict[str, str]
    tmp: Path
    worker: Started
    timings: dict[str, float]


def _env(home: Path, url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARITYLAB_", "PREFECT_"))}
    return env | {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick runs up within a second, not ten
        "PREFECT_CLIENT_MAX_RETRIES": os.environ["PREFECT_CLIENT_MAX_RETRIES"],  # tests/conftest.py: 503s
        # The test triggers runs itself: the scheduler must not start the hourly one in the middle.
        "PREFECT_API_SERVICES_SCHEDULER_ENABLED": "false",
        "PARITYLAB_HOME": str(ROOT),  # prefect.yaml's pull step: where the entry points are
        "PARITYLAB_STORE": str(tmp / "unused-default.duckdb"),  # a stray run never writes the repo's store
    }


def _prefect(args: list[str], url: str) -> str:
    """`prefect ARGS...` in this process, through Prefect's own in-process runner for its CLI (a `prefect`
    process is minutes of a slow CI machine's imports): in the repository's folder (prefect.yaml), with
    its PARITYLAB_HOME, against the server at `url`."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.testing.cli import CycloptsCliRunner

    with temporary_settings(updates={PREFECT_API_URL: url}), pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.setenv("PARITYLAB_HOME", str(ROOT))
        done = CycloptsCliRunner().invoke(args)
    assert done.exit_code == 0, f"prefect {' '.join(args)} failed:\n{done.output}\n{done.exception!r}"
    return done.stdout


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    tmp = tmp_path_factory.mktemp("deploy")
    port = str(free_port())
    url = f"http://127.0.0.1:{port}/api"
    env = _env(tmp / "prefect-home", url, tmp)
    started: list[Started] = []
    timings: dict[str, float] = {}
    try:
        server = start(
            "server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", port], env, ROOT, tmp
        )
        started.append(server)
        timings["server_start_s"] = wait_healthy(url, server, timeout_s=1800)  # beside the session API
        t0 = time.monotonic()
        _prefect(["work-pool", "create", "local", "--type", "process"], url)
        names = ["--all"] if (ROOT / "flows/model_upgrade.py").exists() else [
            "--name", "smoke", "--name", "nightly-eval", "--name", "online-eval"]  # fmt: skip
        _prefect(["--no-prompt", "deploy", *names], url)
        timings["pool_and_deploy_s"] = time.monotonic() - t0
        worker = start("worker", [PREFECT, "worker", "start", "--pool", "local"], env, ROOT, tmp)
        started.append(worker)
        yield Deployed(url, env, tmp, worker, timings)
    finally:
        for proc in reversed(started):
            stop(proc)
        print("deployment test timings:", {k: round(v, 1) for k, v in timings.items()})


def _client(url: str) -> Any:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    class _Ctx:
        def __enter__(self) -> Any:
            self.settings = temporary_settings(updates={PREFECT_API_URL: url})
            self.settings.__enter__()
            self.client = get_client(sync_client=True)
            return self.client.__enter__()

        def __exit__(self, *exc: object) -> None:
            self.client.__exit__(*exc)
            self.settings.__exit__(*exc)

    return _Ctx()


def _trigger(d: Deployed, name: str, parameters: dict[str, Any], env: dict[str, str] | None = None) -> UUID:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    job = {"env": env} if env else None  # the process worker adds these to the flow run's environment
    with temporary_settings(updates={PREFECT_API_URL: d.url}):
        run = run_deployment(name, parameters=parameters, timeout=0, job_variables=job)
    return run.id


def _wait_final(d: Deployed, run_ids: list[UUID], timeout_s: float) -> dict[UUID, str]:
    """The runs' state types once all are final, or as they are after `timeout_s`: a hang guard (the
    model-upgrade run on Dask took ~21 min on a slow CI machine, the waits here are 40 min)."""
    deadline = time.monotonic() + timeout_s
    with _client(d.url) as client:
        while True:
            states = {i: client.read_flow_run(i).state.type.value for i in run_ids}
            if set(states.values()) <= FINAL or time.monotonic() > deadline:
                return states
            time.sleep(1)


def _family(client: Any, run_id: UUID) -> list[UUID]:
    """The run and its subflow runs (nightly -> ingest, online -> scoring), recursively."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    children = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run_id]))
    )
    return [run_id, *(i for c in children for i in _family(client, c.id))]


def _artifacts(client: Any, ids: list[UUID]) -> dict[str, Any]:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    found = client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))
    )
    return {a.key: a for a in found}


def _messages(client: Any, ids: list[UUID]) -> list[str]:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)), limit=200)
    return [log.message for log in logs]


def _ingest(store: Path, path: Path) -> None:
    from paritylab.config import Settings
    from paritylab.ingest.run import ingest_paths

    ingest_paths(Settings.model_validate({"store": str(store)}), [str(path)])


def test_nightly_and_the_dask_option_run_on_a_real_server(deployed: Deployed) -> None:
    d, tmp = deployed, deployed.tmp
    with _client(d.url) as client:
        nightly = client.read_deployment_by_name("nightly-eval/nightly-eval")
        online = client.read_deployment_by_name("online-eval/online-eval")
    assert nightly.work_pool_name == "local" and nightly.enforce_parameter_schema
    assert [(s.schedule.cron, s.schedule.timezone) for s in nightly.schedules] == [("30 2 * * *", "UTC")]
    assert [s.schedule.cron for s in online.schedules] == ["5 * * * *"]

    night_store, dask_store = tmp / "night.duckdb", tmp / "dask.duckdb"
    _ingest(dask_store, LOGS / "wrapper-2026-11-19.jsonl")  # the Dask run scores, it does not ingest
    (tmp / "dask.toml").write_text("[online]\nchunk_size = 60\n")  # several chunks for two workers
    t0 = time.monotonic()
    night_dirs = {"PARITYLAB_CASES__DATASETS_DIR": str(tmp / "night-datasets"),
                  "PARITYLAB_REPORT__DIR": str(tmp / "night-reports")}  # fmt: skip
    # One day's logs and one candidate: the full sample night runs under the harness (tests/flows) and in
    # the demo's test; here the point is the deployment (parameters, pull step, worker, artifacts, logs).
    night_params = {"store": str(night_store), "logs": [str(NIGHT_LOGS)], "candidates": ["cheap-weak"]}
    night = _trigger(d, "nightly-eval/nightly-eval", night_params, night_dirs)
    dask_params = {"store": str(dask_store), "config": str(tmp / "dask.toml"), "task_runner": "dask"}
    dask = _trigger(d, "online-eval/online-eval", dask_params)
    states = _wait_final(d, [night, dask], timeout_s=2400)
    d.timings["runs_s"] = time.monotonic() - t0
    assert states == {night: "COMPLETED", dask: "COMPLETED"}, d.worker.tail(80)

    with _client(d.url) as client:
        found = _artifacts(client, _family(client, night))
        dask_messages = _messages(client, _family(client, dask))
    assert {"nightly-summary", "online-eval", "ingest-batches", "parity-report"} <= set(found)
    summary = found["nightly-summary"].data
    assert "New logs stored: **286**" in summary and "2026-11-20" in summary and "gpt-4o-mini" in summary
    assert "| cheap-weak | **" in summary and "| cheaper-equivalent |" not in summary
    with open_store(night_store) as s:
        [row] = s.rows("SELECT (SELECT count(*) FROM logs) AS logs, (SELECT count(*) FROM scores) AS scores")
    assert row["logs"] == 286 and row["scores"] > 250

    pids = {int(m.group(1)) for msg in dask_messages if (m := re.search(r"in process (\d+)", msg))}
    assert "task runner: DaskTaskRunner (2 workers)" in dask_messages
    assert len(pids) == 2, f"chunks should run on the 2 Dask worker processes, saw {pids}"
    with open_store(dask_store) as s:
        [scored] = s.rows("SELECT count(*) AS n FROM scores WHERE candidate_id = 'production'")
        [answered] = s.rows("SELECT count(*) AS n FROM logs WHERE status = 'ok' AND output_text IS NOT NULL")
    assert scored["n"] == answered["n"] > 250  # every answered call (sample rate 1), in chunks of 60


def test_model_upgrade_generates_on_two_dask_workers(deployed: Deployed) -> None:
    """The golden set (seeded into a temporary datasets folder) answered by the two in-process sim
    candidates in chunks of 40 cases on the Dask cluster; the flow process alone writes the store."""
    d, store = deployed, deployed.tmp / "upgrade.duckdb"
    params = {"store": str(store), "baseline": "baseline", "candidates": ["cheap-weak"]}
    params |= {"task_runner": "dask", "chunk_cases": 40, "report_dir": str(d.tmp / "reports")}
    env = {"PARITYLAB_CASES__DATASETS_DIR": str(d.tmp / "datasets")}
    t0 = time.monotonic()
    run = _trigger(d, "model-upgrade/model-upgrade", params, env)
    states = _wait_final(d, [run], timeout_s=2400)
    d.timings["model_upgrade_s"] = time.monotonic() - t0
    assert states == {run: "COMPLETED"}, d.worker.tail(80)

    with _client(d.url) as client:
        messages = _messages(client, _family(client, run))
        assert "model-upgrade-verdicts" in _artifacts(client, [run])
    answered = [m for m in messages if m.startswith("answered ")]
    pids = {int(m.group(1)) for msg in answered if (m := re.search(r"in process (\d+)", msg))}
    assert "task runner: DaskTaskRunner (2 workers)" in messages
    assert len(answered) == 6 and len(pids) == 2, f"6 chunks on the 2 Dask workers, saw {answered}"
    with open_store(store) as s:
        [row] = s.rows(
            "SELECT (SELECT count(*) FROM outputs) AS outputs, (SELECT count(*) FROM verdicts) AS verdicts, "
            "(SELECT count(*) FROM calls WHERE purpose = 'generate') AS calls"
        )
    assert row["outputs"] == 240 and row["calls"] >= 240 and row["verdicts"] == 1  # 120 golden cases x 2
    assert (d.tmp / "datasets").is_dir()


def test_paritylab_serve_runs_a_deployment_from_one_process(deployed: Deployed) -> None:
    d, store = deployed, deployed.tmp / "served.duckdb"
    _ingest(store, LOGS / "wrapper-2026-11-20.jsonl")
    with _client(d.url) as client:  # one or the other: the worker's deployment of the same name goes
        client.delete_deployment(client.read_deployment_by_name("online-eval/online-eval").id)
    cmd = [sys.executable, "-m", "paritylab.cli", "serve", "--only", "online-eval", "--store", str(store)]
    served = start("serve", cmd, d.env, ROOT, d.tmp)
    try:
        t0 = time.monotonic()
        _wait_served(d, served, "online-eval/online-eval", timeout_s=1800)
        run = _trigger(d, "online-eval/online-eval", {})  # the store comes from `serve --store`
        states = _wait_final(d, [run], timeout_s=2400)
        d.timings["serve_s"] = time.monotonic() - t0
        assert states == {run: "COMPLETED"}, served.tail(80)
        with _client(d.url) as client:
            assert client.read_flow_run(run).work_pool_name is None  # run by `serve`, not by the worker
            assert "online-eval" in _artifacts(client, _family(client, run))
    finally:
        stop(served)
    with open_store(store) as s:
        [scored] = s.rows("SELECT count(*) AS n FROM scores WHERE run_id = 'online-2026-11-20'")
    assert scored["n"] > 250


def _wait_served(d: Deployed, served: Started, name: str, timeout_s: float) -> None:
    """Until `serve` has registered the deployment (without a work pool: the serving process runs it)."""
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout_s
    with _client(d.url) as client:
        while time.monotonic() < deadline:
            assert served.popen.poll() is None, f"paritylab serve exited:\n{served.tail()}"
            with contextlib.suppress(ObjectNotFound):
                if client.read_deployment_by_name(name).work_pool_name is None:
                    return
            time.sleep(1)
    raise AssertionError(f"{name} not served after {timeout_s} s:\n{served.tail()}")
