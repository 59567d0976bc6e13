"""Publishing a run's HTML report from a flow."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_link_artifact

from paritylab.config import Settings
from paritylab.report import ReportPaths, render_report
from paritylab.store import open_store


@task(task_run_name="publish report {run_id}")
def publish_report(settings: Settings, run_id: str) -> ReportPaths:
    """Render the run's report (HTML + JSON + index) and link the HTML file as a Prefect artifact."""
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as db:
        paths = render_report(db, run_id, settings.report.dir, settings.report)
    create_link_artifact(
        key="parity-report",
        link=paths.html.resolve().as_uri(),
        link_text=f"parity report {run_id}",
        description=f"HTML parity report of run {run_id} (index: {paths.index.resolve().as_uri()})",
    )
    return paths
