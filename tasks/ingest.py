"""Tasks for ingesting production logs."""

from __future__ import annotations

from dataclasses import asdict

from prefect import task
from prefect.artifacts import create_table_artifact

from paritylab.config import Settings
from paritylab.ingest.pipeline import BatchSummary
from paritylab.ingest.run import ingest_paths


@task(task_run_name="ingest {paths}")
def ingest_sources(settings: Settings, paths: list[str], fmt: str | None) -> list[BatchSummary]:
    """Parse, sample, validate, redact and store every file; one reconciled batch per file."""
    return ingest_paths(settings, paths, fmt)


@task(task_run_name="publish ingest summary")
def publish_ingest_summary(summaries: list[BatchSummary]) -> None:
    """A table artifact: one row per batch, with its reconciliation."""
    keep = (
        "source",
        "source_format",
        "seen",
        "stored",
        "already_stored",
        "quarantined",
        "sampled_out",
        "skipped",
    )
    rows = [
        {k: v for k, v in asdict(s).items() if k in keep} | {"reconciles": s.reconciles()} for s in summaries
    ]
    create_table_artifact(
        key="ingest-batches", table=rows, description="ingest batches (seen = the rest summed)"
    )
