"""Ingest files: stage, sample, validate, redact, then store everything in one transaction.

A group of files of one format is staged together (see stage.py: positions carry the file's index),
so small files share the fixed costs of each step; every file stays a batch of its own, counted and
reconciled by batches.py.
"""

from __future__ import annotations

import functools
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from paritylab.config import IngestConfig
from paritylab.config_sections import LOGGING_PREFIX
from paritylab.errors import IngestError
from paritylab.ingest import batches, scan, stage, validate
from paritylab.ingest.batches import BatchSummary, sampling_settings
from paritylab.ingest.lines import ContentDigest, file_content, prefetch, read_chunks
from paritylab.ingest.tables import is_table, read_table_chunks
from paritylab.store.db import Store
from paritylab.store.ledger import utcnow
from paritylab.store.sql import ident, int64_array, registered, setting, string_array

__all__ = ["BatchSummary", "detect_format", "ingest_file", "ingest_group", "sampling_settings"]

TEXT_COLUMNS = ["input_messages", "input_text", "question", "context", "output_text", "error"]
# While staged, no automatic checkpoint: at the first commit past checkpoint_threshold (16 MiB) DuckDB
# would compress the stage's TEMP tables, on one core (1M-line bench: 0.6-0.9 s), though they are dropped
# once stored. The store's own write is checkpointed when it is done (_checkpoint_as_written).
NO_AUTOMATIC_CHECKPOINT = "1TB"
# Lines of small files gathered into one scan statement (a big file's chunks hold ~200k lines each).
SCAN_MIN_LINES = 65_536


# What a line of each format holds, tried in this order: the specific ones first (a LiteLLM payload or a
# Langfuse observation also has the messages / input and the response / output a wrapper record has).
SIGNATURES = (
    ("otel", ('"resourceSpans"',)),
    ("langfuse", ('"traceId"', '"startTime"', '"type"')),
    ("litellm", ('"call_type"', '"startTime"')),
    ("litellm", ('"call_type"', '"response_cost"')),
    ("openai", ('"request"', '"response"')),
    ("wrapper", ('"prompt"',)),
    ("wrapper", ('"response"',)),
)


def detect_format(path: Path, logging_prefix: str = LOGGING_PREFIX) -> str:
    """Guess the format from the first record-like line (the caller may name it instead). An empty file
    (log rotation leaves them) has no line to read: an empty batch in any format, "wrapper"."""
    if is_table(path):
        return "table"
    chunks = read_chunks(path, chunk_bytes=1 << 16, peek=True)
    first = next(chunks, None)
    chunks.close()
    if first is None:
        return "wrapper"
    prefix = re.compile(logging_prefix, re.ASCII)
    for line in first.head(200):
        text = prefix.sub("", line, count=1)
        found = next((fmt for fmt, keys in SIGNATURES if all(k in text for k in keys)), None)
        if found:
            return found
    raise IngestError(
        f"cannot tell the log format of {path}",
        hint="pass --format wrapper|openai|otel|litellm|langfuse (or a [ingest] column mapping for tables)",
    )


def ingest_file(
    store: Store,
    path: Path,
    fmt: str | None,
    cfg: IngestConfig,
    *,
    redactor: Any,
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Ingest one file (format detected unless given) into `store`; returns its reconciled summary."""
    fmt = "table" if is_table(path) else fmt or detect_format(path, cfg.logging_prefix)
    tick = (lambda _path, n: progress(n)) if progress else None
    [summary] = ingest_group(store, [path], fmt, cfg, redactor=redactor, progress=tick)
    return summary


def ingest_group(
    store: Store,
    paths: list[Path],
    fmt: str,
    cfg: IngestConfig,
    *,
    redactor: Any,
    progress: Callable[[Path, int], None] | None = None,
) -> list[BatchSummary]:
    """Ingest files of one format as one staged batch of rows: one scan, parse, validation, redaction and
    transaction for all, each file still its own reconciled batch (its summary, in `paths`' order).
    Small files are staged together so that these fixed costs (~0.4 s) are paid once, not per file. A
    table (CSV, Parquet) is staged alone. Each batch records the hash and size of the bytes read, taken
    while reading them."""
    started = time.perf_counter()
    validate.warm_up()
    if len(paths) > 1 and any(is_table(p) for p in paths):
        raise IngestError("tables are ingested one at a time", hint="this is a bug in paritylab")
    summaries = [BatchSummary(_batch_id(), str(p), fmt) for p in paths]
    con = store.con
    # DuckDB would otherwise keep the staged file in memory up to 80% of RAM; past the limit it spills.
    con.execute(f"SET memory_limit = '{cfg.memory_limit_mb}MB'")
    scan.check_logging_prefix(con, cfg.logging_prefix)
    timings = _Timings()
    wants_sha256 = batches.sha256_wanted(con)  # a store written before BLAKE3 may know the file by it
    # tables are read by DuckDB: hashed apart
    digests = [None if is_table(p) else ContentDigest(sha256=wants_sha256(p.stat().st_size)) for p in paths]
    with setting(con, "checkpoint_threshold", NO_AUTOMATIC_CHECKPOINT):
        with _naive_times_in_utc(con):
            lines = _stage(
                con,
                paths,
                summaries,
                cfg,
                redactor=redactor,
                progress=progress,
                timings=timings,
                digests=digests,
            )
        with timings.phase("store"):
            batches.count(con, summaries)
            batches.write(store, summaries, _contents(paths, digests, wants_sha256), cfg)
            stage.drop_stage(con)
    with timings.phase("checkpoint"):
        _checkpoint_as_written(con)
    _share_time(summaries, lines, time.perf_counter() - started, timings)
    return summaries


def _stage(
    con: Any,
    paths: list[Path],
    summaries: list[BatchSummary],
    cfg: IngestConfig,
    *,
    redactor: Any,
    progress: Callable[[Path, int], None] | None,
    timings: _Timings,
    digests: list[Any],
) -> list[int]:
    """Scan, parse, sample, validate and redact the files into the stage, each file's counts so far into
    its summary, the bytes read into `digests` (None for a table); the lines of each file."""
    fmt = summaries[0].source_format
    parse_as = "wrapper" if fmt == "table" else fmt  # table rows are wrapper records (see ingest.tables)
    with timings.phase("scan"):  # read, classify and light-parse every line
        lines, record_lines = _stage_group(con, paths, parse_as, cfg, progress=progress, digests=digests)
    with timings.phase("parse + sample"):
        reread = functools.partial(_group_lines, paths, cfg)
        records, parsed = stage.parse_sampled(con, parse_as, cfg, reread)
        stage.split_parsed(con)
        stage.sample(con, cfg)
    with timings.phase("validate + redact"):
        failed, redactions = _validate_and_redact(con, redactor, cfg)
        stage.drop_lines(con)
    for i, s in enumerate(summaries):
        # independent of the categories: every line that was not a record, plus every record parsed
        s.seen = lines[i] - record_lines.get(i, 0) + records.get(i, 0)
        s.sampled_out = records.get(i, 0) - parsed.get(i, 0)
        s.failed_validation = failed.get(i, 0)
        s.redactions = dict(redactions.get(i, {}))
    return lines


def _contents(paths: list[Path], digests: list[Any], wants_sha256: Callable[[int], bool]) -> list[Any]:
    """Each file's content identity: taken while it was read, or (a table, read by DuckDB) now."""
    return [
        d.content() if d else file_content(p, sha256=wants_sha256(p.stat().st_size))
        for d, p in zip(digests, paths, strict=True)
    ]


def _naive_times_in_utc(con: Any) -> AbstractContextManager[None]:
    """A timestamp without a zone ("2026-11-16T10:00:00", as datetime.utcnow().isoformat() writes it) is
    read as UTC, whatever this machine's zone: the same file gives the same times everywhere (DuckDB
    reads such a text in its session's zone, the machine's by default)."""
    return setting(con, "TimeZone", "UTC")


def _checkpoint_as_written(con: Any) -> None:
    """Checkpoint the store, its new row groups as the insert wrote them: not merged (vacuumed) into full
    ones. The insert keeps the stage's row groups, some part-full (the parse's threads each end one);
    merging them rewrites their rows on one core (1M-line bench: 0.46 s for 214k rows) to save a few
    row groups' metadata. The batch is durable before this (committed to the WAL)."""
    [(store,)] = con.execute("SELECT current_database()").fetchall()
    with setting(con, "max_vacuum_tasks", "0"):
        con.execute(f"CHECKPOINT {ident(store)}")


def _batch_id() -> str:
    return f"ing-{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _share_time(summaries: list[BatchSummary], lines: list[int], seconds: float, timings: _Timings) -> None:
    """Each file's share of the group's time, by lines (an empty file's, equal), and the group's phases."""
    total = sum(lines)
    for s, n in zip(summaries, lines, strict=True):
        s.seconds = seconds * (n / total if total else 1 / len(summaries))
        s.timings, s.cpu_timings = dict(timings.wall), dict(timings.cpu)
        s.staged_with = len(summaries)


class _Timings:
    """Seconds per phase of a group's ingest: wall time, and CPU time of this process (all its threads:
    the scan's reader and DuckDB's; the validator process apart). CPU near the wall time times the
    cores means every core was busy: only less work makes that phase faster, not more overlap."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = round(time.perf_counter() - started, 3)
            self.cpu[name] = round(time.process_time() - cpu, 3)


def _stage_group(
    con: Any,
    paths: list[Path],
    parse_as: str,
    cfg: IngestConfig,
    *,
    progress: Callable[[Path, int], None] | None,
    digests: list[Any],
) -> tuple[list[int], dict[int, int]]:
    """Scan every chunk of the files into stage_lines (the lines of small files several to a statement);
    return the lines of each file and the lines that were records, per file."""
    stage.create_stage(con)
    lines = [0] * len(paths)
    scanned = False
    read = _counted(prefetch(_group_chunks(paths, cfg, digests)), paths, lines, progress)
    for pieces in _scan_batches(read):
        table = pieces[0][1].to_arrow() if len(pieces) == 1 else _concat([c.to_arrow() for _, c in pieces])
        scan.scan_chunk(con, table, parse_as, cfg, first=not scanned)
        scanned = True
    if sum(lines) == 0:  # empty files still get their (empty) stage
        scan.scan_chunk(con, _no_lines(), parse_as, cfg, first=True)
    return lines, stage.finish_scan(con, parse_as)


def _counted(
    pieces: Iterator[Any], paths: list[Path], lines: list[int], progress: Callable[[Path, int], None] | None
) -> Iterator[Any]:
    """The (index, chunk) pieces, each counted into `lines` and reported as it is read: several small
    files' lines are scanned together, and the progress bar should not wait for their scan."""
    for i, chunk in pieces:
        lines[i] += len(chunk)
        if progress:
            progress(paths[i], len(chunk))
        yield i, chunk


def _group_chunks(
    paths: list[Path], cfg: IngestConfig, digests: list[Any] | None = None, *, only: set[int] | None = None
) -> Iterator[Any]:
    """(index, chunk) for every chunk of each file (of the `only` ones, if given), positions numbered as
    stage.FILE_SHIFT says."""
    for i, path in enumerate(paths):
        if only is not None and i not in only:
            continue
        if is_table(path):  # alone in its group: positions need no file index
            chunks = read_table_chunks(path, cfg.columns)
        else:
            chunks = read_chunks(path, digest=digests[i] if digests else None, start=i << stage.FILE_SHIFT)
        for chunk in chunks:
            yield i, chunk


def _group_lines(paths: list[Path], cfg: IngestConfig, files: set[int]) -> Iterator[Any]:
    """The chunks of the group's `files` (indices) again: stage.parse_sampled's second read, rare."""
    return (chunk for _, chunk in _group_chunks(paths, cfg, only=files))


def _scan_batches(pieces: Iterator[Any]) -> Iterator[list[Any]]:
    """Consecutive (index, chunk) pieces gathered until they hold SCAN_MIN_LINES lines: one scan statement
    costs ~20 ms before it reads a line, a 5-line file's chunk would pay it alone."""
    batch: list[Any] = []
    gathered = 0
    for piece in pieces:
        batch.append(piece)
        gathered += len(piece[1])
        if gathered >= SCAN_MIN_LINES:
            yield batch
            batch, gathered = [], 0
    if batch:
        yield batch


def _concat(tables: list[Any]) -> Any:
    import pyarrow as pa

    return pa.concat_tables(tables)


def _no_lines() -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "position": pa.array([], pa.int64()),
            "line": pa.array([], pa.string()),
            "defect": pa.array([], pa.string()),
        }
    )


def _validate_and_redact(
    con: Any, redactor: Any, cfg: IngestConfig
) -> tuple[Counter[int], dict[int, Counter[str]]]:
    """Great Expectations on the rows to be stored (failures to quarantine with every reason), then PII out
    of everything stored or quarantined; per file, (rows GX rejected, redactions per kind).

    GX (on a frame of small columns, handed over as Arrow) runs in the validator process while the
    redaction works here on its own copy of the rows with PII. The rows GX rejects then leave that copy
    with their counts, before anything is written back: counts cover stored rows only."""
    gx_failures = validate.submit(stage.validation_frame(con), time.time())
    with redactor.begin_redact_table(con, "stage_kept", TEXT_COLUMNS, group=stage.FILE_OF) as job:
        job.redact()
        failures = gx_failures()
        if failures:
            _quarantine_rejected(con, failures, job)
        _enrich_json_errors(con, cfg)
        job.finish()
        counts = job.group_counts
    with redactor.begin_redact_table(con, "stage_quarantine", ["raw"], group=stage.FILE_OF) as job:
        job.finish()
        for file, found in job.group_counts.items():
            counts.setdefault(file, Counter()).update(found)
    con.execute("UPDATE stage_quarantine SET raw = left(raw, ?)", [cfg.max_raw_chars])
    return Counter(position >> stage.FILE_SHIFT for position, _ in failures), counts


def _quarantine_rejected(con: Any, failures: dict[tuple[int, int], list[str]], job: Any) -> None:
    import numpy as np
    import pyarrow as pa

    # the reasons as an Arrow list array from their offsets: not pa.array (see store.sql)
    offsets = np.cumsum([0, *(len(reasons) for reasons in failures.values())])
    listed = string_array(reason for reasons in failures.values() for reason in reasons)
    table = pa.table(
        [
            int64_array([p for p, _ in failures]),
            int64_array([s for _, s in failures]),
            pa.LargeListArray.from_arrays(int64_array(offsets), listed),
        ],
        names=["position", "sub", "reasons"],
    )
    with registered(con, "gx_failures", table):
        con.execute(f"""INSERT INTO stage_quarantine
                       SELECT k.position, k.sub, k.log_id, {stage.RAW_OF}, f.reasons
                       FROM stage_kept k JOIN gx_failures f USING (position, sub)""")
        job.drop_rows("SELECT k.rowid FROM stage_kept k JOIN gx_failures f USING (position, sub)")
        con.execute("DELETE FROM stage_kept WHERE (position, sub) IN (SELECT position, sub FROM gx_failures)")


def _enrich_json_errors(con: Any, cfg: IngestConfig) -> None:
    """Say *why* a line is not JSON (DuckDB only says that it is not): Python's parser, bad lines only."""
    rows = con.execute("SELECT rowid, raw FROM stage_quarantine WHERE reasons = ['invalid JSON']").fetchall()
    prefix = re.compile(cfg.logging_prefix, re.ASCII)
    for rowid, raw in rows:
        text = prefix.sub("", raw, count=1)
        try:
            json.loads(text)
            detail = "invalid JSON"
        except json.JSONDecodeError as exc:
            detail = f"invalid JSON: {exc.msg} (character {exc.pos})"
        con.execute("UPDATE stage_quarantine SET reasons = [?] WHERE rowid = ?", [detail, rowid])
