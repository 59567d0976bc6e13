"""Tasks of the nightly flow itself: name the night, record what it was made of, publish its summary."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact

from paritylab.cases.mine import MineResult
from paritylab.config import Settings
from paritylab.ingest.pipeline import BatchSummary
from paritylab.nightly import night_markdown, night_run_id, record_night_inputs, verdict_rows
from paritylab.online.run import OnlineSummary
from paritylab.report import ReportPaths
from paritylab.store import open_store


@task(task_run_name="name the night")
def name_the_night(settings: Settings, night: str | None) -> str:
    """The offline run's id: `nightly-<day>`, the given day or the newest logged day (a rerun resumes)."""
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s, read_only=True) as db:
        return night_run_id(db, night)


@task(task_run_name="record the night's inputs on run {run_id}")
def record_night(settings: Settings, run_id: str, batches: list[BatchSummary], mined: MineResult) -> None:
    """The run's summary lists its ingest batches and eval-set version (the report reads them there)."""
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as db:
        record_night_inputs(db, run_id, batches, mined)


@task(task_run_name="publish nightly summary")
def publish_nightly_summary(
    settings: Settings,
    run_id: str,
    *,
    batches: list[BatchSummary],
    online: OnlineSummary,
    mined: MineResult,
    report: ReportPaths,
) -> str:
    """The night in one markdown artifact: logs in, online flags, new cases, verdicts, report link."""
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s, read_only=True) as db:
        verdicts = verdict_rows(db, run_id)
    markdown = night_markdown(run_id, batches, online=online, mined=mined, verdicts=verdicts, report=report)
    create_markdown_artifact(key="nightly-summary", markdown=markdown, description=f"nightly eval {run_id}")
    return markdown
