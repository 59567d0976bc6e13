"""Ingest several sources into one store: the entry point for the CLI and the Prefect task."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from paritylab.config import IngestConfig, Settings
from paritylab.errors import IngestError
from paritylab.ingest.batches import sha256_wanted
from paritylab.ingest.compressed import unpacked_size
from paritylab.ingest.formats import FORMATS
from paritylab.ingest.lines import Content, expand_paths, file_content, file_hash
from paritylab.ingest.pipeline import BatchSummary, detect_format, ingest_group, sampling_settings
from paritylab.ingest.tables import is_table
from paritylab.store import Store, open_store

# Files up to this size are staged with their neighbours of the same format (each still its own batch):
# a batch's fixed costs (~0.4 s: a scan, a parse, a Great Expectations run, a redaction, a transaction)
# are then paid once a group. A group ends before it would exceed GROUP_MAX_BYTES or GROUP_MAX_FILES.
GROUP_FILE_MAX_BYTES = 16 << 20
GROUP_MAX_BYTES = 256 << 20
GROUP_MAX_FILES = 2048
log = logging.getLogger(__name__)
Progress = Callable[[Path, int], None]  # (file, lines just read)


def ingest_paths(
    settings: Settings,
    paths: list[str],
    fmt: str | None = None,
    progress: Callable[[Path, int], None] | None = None,
    *,
    force: bool = False,
) -> list[BatchSummary]:
    """Ingest every file under `paths` (files, globs, directories), one reconciled batch per file, as if
    one after the other (small files are staged in groups: see `_Groups`).

    A file whose exact bytes were already ingested with the same sampling settings is not read again
    (unless `force`): its earlier batch is returned, marked `unchanged`, and nothing is written, so a
    nightly rerun over the same folder adds no rows at all. Only a file whose size some earlier batch
    had, or a file of the group waiting to be ingested has, is hashed before it is read; any other is
    hashed while it is ingested (one read, not two)."""
    from paritylab.ingest.redact import Redactor

    if fmt is not None and fmt not in FORMATS:
        raise IngestError(
            f"unknown log format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}, or leave it out"
        )
    redactor = Redactor(extra=dict(settings.ingest.redact_extra))
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as store:
        groups = _Groups(store, settings.ingest, redactor, progress)
        for path in expand_paths(paths):
            try:
                _take(store, groups, path, fmt, settings.ingest, force=force)
            except Exception:
                groups.flush()  # the files before this one are stored, as one at a time
                raise
        groups.flush()
        return groups.summaries


def _take(
    store: Store, groups: _Groups, path: Path, fmt: str | None, cfg: IngestConfig, *, force: bool
) -> None:
    """The file's earlier batch if these bytes were ingested before; else the file joins the groups."""
    size = path.stat().st_size
    if groups.holds_copy_of(path, size):  # written first, so this one is found unchanged
        groups.flush()
    if not force and may_be_unchanged(store, size, cfg):
        content = file_content(path, sha256=sha256_wanted(store.con)(size))
        if (earlier := earlier_batch(store, path, content, cfg)) is not None:
            groups.done(earlier)
            return
    groups.add(path, size, fmt)


class _Groups:
    """Files gathered for ingest_group, their summaries in the order the files came. A file that cannot
    be grouped (a table, a big file) or a change of format ends the group; on an error, the files before
    the failing one are stored first, as they would have been one by one."""

    def __init__(
        self, store: Store, cfg: IngestConfig, redactor: object, progress: Callable[[Path, int], None] | None
    ) -> None:
        self.store, self.cfg, self.redactor, self.progress = store, cfg, redactor, progress
        self.summaries: list[BatchSummary] = []
        self.paths: list[Path] = []
        self.sizes: dict[int, list[Path]] = {}  # the group's files by size
        self._hashes: dict[Path, str] = {}
        self.fmt = ""
        self.slots: list[int] = []

    def holds_copy_of(self, path: Path, size: int) -> bool:
        """Whether a file of the group has the same bytes as `path` (hashed only when the sizes match)."""
        same_size = self.sizes.get(size, [])
        if not same_size:
            return False
        digest = self._hash(path)
        return any(self._hash(other) == digest for other in same_size)

    def _hash(self, path: Path) -> str:
        if path not in self._hashes:
            self._hashes[path] = file_hash(path)
        return self._hashes[path]

    def done(self, summary: BatchSummary) -> None:
        self.summaries.append(summary)

    def add(self, path: Path, size: int, fmt: str | None) -> None:
        fmt = "table" if is_table(path) else fmt or detect_format(path, self.cfg.logging_prefix)
        unpacked = unpacked_size(path, size)
        alone = fmt == "table" or unpacked > GROUP_FILE_MAX_BYTES
        if self.paths and (alone or fmt != self.fmt or len(self.paths) >= GROUP_MAX_FILES
                           or self._bytes() + unpacked > GROUP_MAX_BYTES):  # fmt: skip
            self.flush()
        self.paths.append(path)
        self.sizes.setdefault(size, []).append(path)
        self.fmt = fmt
        self.slots.append(len(self.summaries))
        self.summaries.append(BatchSummary("", str(path), fmt))  # its place, filled by flush()
        if alone:
            self.flush()

    def _bytes(self) -> int:
        return sum(unpacked_size(path, size) for size, paths in self.sizes.items() for path in paths)

    def flush(self) -> None:
        if not self.paths:
            return
        reported: dict[Path, int] = {}  # lines the progress callback heard of, per file
        try:
            done = self._ingest(self.paths, _counting(self.progress, reported))
        except Exception as exc:  # a file that cannot be read, DuckDB out of memory: not an interrupt
            if len(self.paths) == 1:
                raise
            # one by one: the files before the failing one are stored, and its error is raised again
            log.warning("a group of %d files failed (%s); ingesting them one by one", len(self.paths), exc)
            again = _beyond(self.progress, reported)  # lines read again are not progress
            done = [self._ingest([path], again)[0] for path in self.paths]
        finally:
            self.paths, self.sizes, self._hashes = [], {}, {}
        for slot, summary in zip(self.slots, done, strict=True):
            self.summaries[slot] = summary
        self.slots = []

    def _ingest(self, paths: list[Path], progress: Progress | None) -> list[BatchSummary]:
        return ingest_group(self.store, paths, self.fmt, self.cfg, redactor=self.redactor, progress=progress)


def _counting(progress: Progress | None, reported: dict[Path, int]) -> Progress | None:
    """`progress`, also counting into `reported` the lines it is told of, per file."""
    if progress is None:
        return None

    def tick(path: Path, lines: int) -> None:
        reported[path] = reported.get(path, 0) + lines
        progress(path, lines)

    return tick


def _beyond(progress: Progress | None, reported: dict[Path, int]) -> Progress | None:
    """`progress`, told only of the lines beyond those `reported` already (a file read a second time)."""
    if progress is None:
        return None

    def tick(path: Path, lines: int) -> None:
        already = min(reported.get(path, 0), lines)
        reported[path] = reported.get(path, 0) - already
        if lines > already:
            progress(path, lines - already)

    return tick


def may_be_unchanged(store: Store, size: int, cfg: IngestConfig) -> bool:
    """Whether an earlier batch with these settings read this many bytes (or did not record how many):
    only then can a file be unchanged, and is worth hashing before it is read."""
    rows = store.rows(
        """SELECT 1 FROM ingest_batches WHERE sampling = ?::JSON
           AND (content_bytes = ? OR content_bytes IS NULL) LIMIT 1""",
        [sampling_settings(cfg), size],
    )
    return bool(rows)


def earlier_batch(store: Store, path: Path, content: Content, cfg: IngestConfig) -> BatchSummary | None:
    """The batch that already ingested these bytes with these settings (found by their hash, or by their
    legacy SHA-256 where it was taken), as an `unchanged` summary."""
    rows = store.rows(
        """SELECT * FROM ingest_batches WHERE content_hash IN (?, ?) AND sampling = ?::JSON
           ORDER BY started_at DESC LIMIT 1""",
        [content.digest, content.sha256 or content.digest, sampling_settings(cfg)],
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
