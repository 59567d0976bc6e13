"""Tasks for mining production failures into eval-dataset versions."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from paritylab.cases import MineResult, Window, mine_failures
from paritylab.config import Settings
from paritylab.store import open_store


# log_prints off: datasets' fingerprinting (dill) disassembles functions through print(), which a
# log_prints flow would turn into hundreds of log lines of bytecode.
@task(task_run_name="mine failures {start} .. {end}", log_prints=False)
def mine_window(settings: Settings, start: datetime | None, end: datetime | None) -> MineResult:
    """Detect, group and fold the window's failing logs into a new dataset version (the one writer)."""
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as db:
        return mine_failures(db, settings, Window(start, end))


@task(task_run_name="publish mining summary")
def publish_mining_summary(result: MineResult) -> None:
    """A table artifact of failure kinds and a markdown line on the version written."""
    rows = [{"kind": k, "logs": n} for k, n in sorted(result.kinds.items(), key=lambda kv: -kv[1])]
    create_table_artifact(key="mined-failure-kinds", table=rows, description="new failing logs by kind")
    v = result.version
    line = (
        f"**{v.dataset} v{v.version}** (parent v{v.parent_version}): {v.n_cases} cases, +{v.n_added} new, "
        f"{v.n_changed} updated; {result.failures} failing logs in {len(result.group_sizes)} groups "
        f"(largest {result.group_sizes[:5]})"
        if v
        else f"nothing new in the window: {result.dataset} stays at v{result.parent_version}"
    )
    create_markdown_artifact(key="mined-dataset-version", markdown=line, description="mining result")
