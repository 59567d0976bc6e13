"""`.json` files that hold one JSON document rather than one object per line: an array of records (what
exports write: Langfuse's JSON export, a tool's "download as JSON"), or pretty-printed objects (a logger
that writes each call with `indent=2`). Read line by line, every line of them was a defect.

DuckDB's read_json_objects splits such a file into its values, each written back on one line: the
records then go through the same scan as lines do, a record's position being its index in the file
(1-based). A file that is not valid as a whole (cut short, malformed) is read line by line as before,
with a warning: its lines are quarantined, nothing is lost.
"""

from __future__ import annotations

import atexit
import json
import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paritylab.ingest.compressed import without_compression
from paritylab.ingest.scan import LAX_PATTERNS
from paritylab.store.sql import literal

if TYPE_CHECKING:
    from paritylab.ingest.lines import LineChunk

ROWS_PER_CHUNK = 65_536
MAX_OBJECT_BYTES = 1 << 30  # DuckDB's default (16 MB) would refuse one large record
log = logging.getLogger(__name__)
_links: list[Path] = []  # the directory of links to files whose names DuckDB would read as globs
_warned: set[tuple[str, int, int]] = set()  # the files this process warned about (path, size, mtime)


def document_form(path: Path, head: bytes) -> str | None:
    """How read_json_objects must read the `.json` file `path` ("array" or "unstructured"), given the first
    bytes of its content; None when it is one object per line (JSONL and logs are not asked: lines)."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"["):
        return "array"
    first_line = text.split(b"\n", 1)[0]
    if not text.startswith(b"{") or b"\n" not in text:
        return None
    try:
        json.loads(first_line)
    except ValueError:
        return "unstructured"  # an object spread over lines: pretty-printed
    return None


def document_chunks(path: Path, form: str, digest: Any, start: int) -> Iterator[LineChunk] | None:
    """The file's values as line chunks (positions start + 1, start + 2, ...), or None if DuckDB cannot
    read it as one valid document (then it is read as lines). `digest` gets the file's bytes."""
    import duckdb

    con = duckdb.connect()
    source = (
        f"read_json_objects({literal(str(_glob_safe(path)))}, format = '{form}', "
        f"maximum_object_size = {MAX_OBJECT_BYTES})"
    )
    try:  # a first pass: a document found malformed half-way must not have yielded its first records
        con.execute(f"SELECT count(*) FROM {source}").fetchall()
    except duckdb.Error as exc:
        con.close()
        stat = path.stat()
        if (str(path), stat.st_size, stat.st_mtime_ns) not in _warned:  # format detection reads it too
            _warned.add((str(path), stat.st_size, stat.st_mtime_ns))
            log.warning("%s is not a valid JSON document (%s); reading it line by line", path, exc)
        return None
    if digest is not None:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return _chunks(con, source, start)


def _glob_safe(path: Path) -> Path:
    """`path`, or a link to it under a plain name: DuckDB reads a path as a glob, and `export[1].json`
    would read `export1.json`."""
    if not any(c in str(path) for c in "*?[]{}"):
        return path
    if not _links:
        _links.append(Path(tempfile.mkdtemp(prefix="paritylab-documents-")))
        atexit.register(shutil.rmtree, _links[0], True)
    plain = without_compression(path.name.lower())
    link = _links[0] / f"{uuid.uuid4().hex}.json{path.name.lower()[len(plain) :]}"  # keeps .gz / .zst
    link.symlink_to(path.resolve())
    return link


def _chunks(con: Any, source: str, start: int) -> Iterator[LineChunk]:
    from paritylab.ingest.lines import chunk_of_lines

    # A record that may hold what DuckDB accepts but JSON does not (a trailing comma, NaN) keeps its own
    # text, so the scan's strict check sees it as it would see the line (scan.LAX_PATTERNS).
    lax = " OR ".join(f"regexp_matches(json::VARCHAR, '{pattern}')" for pattern in LAX_PATTERNS)
    line = f"CASE WHEN {lax} THEN json::VARCHAR ELSE json(json)::VARCHAR END"
    try:
        reader = con.sql(f"SELECT {line} AS line FROM {source}").to_arrow_reader(ROWS_PER_CHUNK)
        position = start
        for batch in reader:
            yield chunk_of_lines(position, batch.column(0))
            position += batch.num_rows
    finally:
        con.close()
