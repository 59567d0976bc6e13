"""The nightly pipeline. Today: ingest the new logs, then the online eval, then a summary artifact.
Failure mining, the offline eval, parity and the report are composed in as those stages land."""

from __future__ import annotations

from paritylab._env import apply_quiet_defaults

apply_quiet_defaults()

from pathlib import Path  # noqa: E402
from typing import Literal  # noqa: E402

from prefect import flow  # noqa: E402

from flows.ingest import ingest_logs  # noqa: E402
from flows.online_eval import online_eval  # noqa: E402
from tasks.nightly import publish_nightly_summary  # noqa: E402

SAMPLE_LOGS = Path(__file__).resolve().parents[1] / "datasets" / "sample" / "logs"


@flow(name="nightly-eval", log_prints=True)
def nightly_eval(
    logs: list[str] | None = None,
    config: str | None = None,
    store: str | None = None,
    online_days: int | None = None,
    task_runner: Literal["threads", "dask"] | None = None,
) -> str:
    """Ingest `logs` (default: the bundled sample), run the online eval, publish the night's summary;
    returns the summary's markdown. Rerunning a night adds no rows: every stage is idempotent."""
    stored = ingest_logs(logs or [str(SAMPLE_LOGS)], config=config, store=store)
    online = online_eval(config=config, store=store, days=online_days, task_runner=task_runner)
    return publish_nightly_summary(stored, online)
