"""The nightly pipeline, as the recipe reads: ingest the new logs -> score production answers online ->
mine the failures into a new eval-set version -> offline eval of the candidates vs the baseline on it
(parity verdicts) -> HTML report -> summary artifact. Every stage is idempotent: rerunning a night
reuses what is done, makes no provider calls for it and adds no rows."""

from __future__ import annotations

from paritylab._env import apply_env_defaults

apply_env_defaults()

from pathlib import Path  # noqa: E402
from typing import Literal  # noqa: E402

from prefect import flow  # noqa: E402

from flows.ingest import ingest_logs  # noqa: E402
from flows.mine_failures import mine_failures  # noqa: E402
from flows.model_upgrade import model_upgrade  # noqa: E402
from flows.online_eval import online_eval  # noqa: E402
from paritylab.demo import sim_serve_if_needed  # noqa: E402
from tasks.calls import load_config  # noqa: E402
from tasks.nightly import name_the_night, publish_nightly_summary, record_night  # noqa: E402
from tasks.report import publish_report  # noqa: E402

SAMPLE_LOGS = Path(__file__).resolve().parents[1] / "datasets" / "sample" / "logs"


@flow(name="nightly-eval", log_prints=True)
def nightly_eval(
    *,
    logs: list[str] | None = None,
    config: str | None = None,
    store: str | None = None,
    night: str | None = None,
    candidates: list[str] | None = None,
    online_days: int | None = None,
    task_runner: Literal["threads", "dask"] | None = None,
) -> str:
    """Run one night over `logs` (default: the bundled sample). `night` (YYYY-MM-DD, default: the
    newest logged day) names the offline run, so a rerun of the night resumes it; `candidates` default
    to every configured one. Returns the path of the night's HTML report."""
    settings = load_config(config, store)
    batches = ingest_logs(logs or [str(SAMPLE_LOGS)], config=config, store=store)
    online = online_eval(config=config, store=store, days=online_days, task_runner=task_runner)
    version = mine_failures(config=config, store=store)  # after online: low scores become cases tonight
    run_id = name_the_night(settings, night)
    with sim_serve_if_needed(settings):  # the demo's SDK candidates talk to a loopback simulator
        report_dir = str(settings.report.dir)
        model_upgrade(
            run_id=run_id,
            candidates=candidates,
            config=config,
            store=store,
            report_dir=report_dir,
            task_runner=task_runner,
        )
    record_night(settings, run_id, batches, version)
    report = publish_report(settings, run_id)
    publish_nightly_summary(settings, run_id, batches=batches, online=online, mined=version, report=report)
    return str(report.html)
