"""Ingest several sources into one store: the entry point for the CLI and the Prefect task."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from paritylab.config import Settings
from paritylab.ingest.lines import expand_paths
from paritylab.ingest.pipeline import BatchSummary, ingest_file
from paritylab.store import open_store


def ingest_paths(
    settings: Settings,
    paths: list[str],
    fmt: str | None = None,
    progress: Callable[[Path, int], None] | None = None,
) -> list[BatchSummary]:
    """Ingest every file under `paths` (files, globs, directories), one reconciled batch per file."""
    from paritylab.ingest.redact import Redactor

    redactor = Redactor(extra=dict(settings.ingest.redact_extra))
    summaries = []
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as store:
        for path in expand_paths(paths):
            tick = (lambda n, p=path: progress(p, n)) if progress else None
            summaries.append(ingest_file(store, path, fmt, settings.ingest, redactor=redactor, progress=tick))
    return summaries
