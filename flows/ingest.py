"""Ingest production logs into the store."""

from __future__ import annotations

from paritylab._env import apply_env_defaults

apply_env_defaults()

from prefect import flow  # noqa: E402

from paritylab.ingest.pipeline import BatchSummary  # noqa: E402
from tasks.calls import load_config  # noqa: E402
from tasks.ingest import ingest_sources, publish_ingest_summary  # noqa: E402


@flow(name="ingest-logs", log_prints=True)
def ingest_logs(
    paths: list[str], fmt: str | None = None, config: str | None = None, store: str | None = None
) -> list[BatchSummary]:
    """Ingest the given log files, globs or directories; returns one reconciled summary per file."""
    settings = load_config(config, store)
    summaries = ingest_sources(settings, paths, fmt)
    publish_ingest_summary(summaries)
    return summaries
