"""Ingest several sources into one store: the entry point for the CLI and the Prefect task."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from paritylab.config import IngestConfig, Settings
from paritylab.ingest.lines import expand_paths, file_hash
from paritylab.ingest.pipeline import BatchSummary, ingest_file, sampling_settings
from paritylab.store import Store, open_store


def ingest_paths(
    settings: Settings,
    paths: list[str],
    fmt: str | None = None,
    progress: Callable[[Path, int], None] | None = None,
    *,
    force: bool = False,
) -> list[BatchSummary]:
    """Ingest every file under `paths` (files, globs, directories), one reconciled batch per file.

    A file whose exact bytes were already ingested with the same sampling settings is not read again
    (unless `force`): its earlier batch is returned, marked `unchanged`, and nothing is written, so a
    nightly rerun over the same folder adds no rows at all. Only a file whose size some earlier batch
    had is hashed before it is read; any other is hashed while it is ingested (one read, not two)."""
    from paritylab.ingest.redact import Redactor

    redactor = Redactor(extra=dict(settings.ingest.redact_extra))
    summaries = []
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as store:
        for path in expand_paths(paths):
            if not force and may_be_unchanged(store, path.stat().st_size, settings.ingest):
                digest = file_hash(path)
                if (earlier := earlier_batch(store, path, digest, settings.ingest)) is not None:
                    summaries.append(earlier)
                    continue
            tick = (lambda n, p=path: progress(p, n)) if progress else None
            # hashed again while it is read: the batch records the bytes it ingested, even if the file
            # changed since (a log still being written)
            summaries.append(ingest_file(store, path, fmt, settings.ingest, redactor=redactor, progress=tick))
    return summaries


def may_be_unchanged(store: Store, size: int, cfg: IngestConfig) -> bool:
    """Whether an earlier batch with these settings read this many bytes (or did not record how many):
    only then can a file be unchanged, and is worth hashing before it is read."""
    rows = store.rows(
        """SELECT 1 FROM ingest_batches WHERE sampling = ?::JSON
           AND (content_bytes = ? OR content_bytes IS NULL) LIMIT 1""",
        [sampling_settings(cfg), size],
    )
    return bool(rows)


def earlier_batch(store: Store, path: Path, digest: str, cfg: IngestConfig) -> BatchSummary | None:
    """The batch that already ingested these bytes with these settings, as an `unchanged` summary."""
    rows = store.rows(
        """SELECT * FROM ingest_batches WHERE content_hash = ? AND sampling = ?::JSON
           ORDER BY started_at DESC LIMIT 1""",
        [digest, sampling_settings(cfg)],
    )
    if not rows:
        return None
    r = rows[0]
    return BatchSummary(
        batch_id=r["batch_id"], source=str(path), source_format=r["source_format"], seen=r["seen"],
        already_stored=r["stored"] + r["already_stored"], quarantined=r["quarantined"],
        sampled_out=r["sampled_out"], skipped=r["skipped"], skipped_kinds=json.loads(r["skipped_kinds"]),
        kept_kinds=json.loads(r["kept_kinds"]), redactions=json.loads(r["redactions"]), unchanged=True,
    )  # fmt: skip
