"""Read log files as numbered lines, in bounded chunks, marking lines no parser may see.

Python only splits and decodes (C-speed bulk operations); everything else happens in DuckDB. A line
with invalid UTF-8 or a NUL byte is kept with its defect, so it can be quarantined at its position
instead of failing the whole file or vanishing.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from paritylab.errors import IngestError

if TYPE_CHECKING:
    import pyarrow as pa

CHUNK_BYTES = 32 * 1024 * 1024
LINE_SUFFIXES = (
    ".jsonl",
    ".json",
    ".log",
    ".ndjson",
    ".txt",
    ".jsonl.gz",
    ".json.gz",
    ".log.gz",
    ".ndjson.gz",
)
TABLE_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".tsv")


@dataclass(frozen=True)
class LineChunk:
    """Consecutive lines: positions are 1-based line numbers in the (decompressed) file."""

    positions: list[int]
    lines: list[str]
    defects: list[str | None]

    def to_arrow(self) -> pa.Table:
        import pyarrow as pa

        return pa.table({"position": self.positions, "line": self.lines, "defect": self.defects})


def expand_paths(paths: list[str]) -> list[Path]:
    """Files, globs and directories (recursively, known suffixes only), sorted, without repeats."""
    found: dict[Path, None] = {}
    for raw in paths:
        matches = [Path(p) for p in sorted(glob.glob(raw, recursive=True))] or [Path(raw)]
        for path in matches:
            if path.is_dir():
                for child in sorted(path.rglob("*")):
                    if child.is_file() and child.name.endswith(LINE_SUFFIXES + TABLE_SUFFIXES):
                        found[child] = None
            elif path.is_file():
                found[path] = None
            else:
                raise IngestError(f"no such file or directory: {raw}", hint="check the path or glob")
    return list(found)


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes: the identity of a source for idempotent re-ingest."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # GzipFile is a binary IO
    return path.open("rb")


def read_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[LineChunk]:
    """Yield the file's lines in chunks of about `chunk_bytes`, never splitting a line."""
    position = 0
    tail = b""
    try:
        with _open(path) as fh:
            while block := fh.read(chunk_bytes):
                block = tail + block
                cut = block.rfind(b"\n")
                if cut < 0:
                    tail = block
                    continue
                tail = block[cut + 1 :]
                chunk = _decode(block[:cut].split(b"\n"), position)
                position += len(chunk.lines)
                yield chunk
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise IngestError(f"cannot read {path}: {exc}", hint="is the file complete and not corrupt?") from exc
    if tail:
        yield _decode([tail], position)


def _decode(raw_lines: list[bytes], start: int) -> LineChunk:
    joined = b"\n".join(raw_lines)
    if b"\x00" not in joined:
        try:  # the common case: the whole chunk is valid UTF-8, decode it in one call
            lines = joined.decode("utf-8").split("\n")
            if len(lines) == len(raw_lines):
                lines = [line.removesuffix("\r") for line in lines]
                return LineChunk(list(range(start + 1, start + len(lines) + 1)), lines, [None] * len(lines))
        except UnicodeDecodeError:
            pass
    return _decode_line_by_line(raw_lines, start)


def _decode_line_by_line(raw_lines: list[bytes], start: int) -> LineChunk:
    lines: list[str] = []
    defects: list[str | None] = []
    for raw in raw_lines:
        defect = "NUL byte in line" if b"\x00" in raw else None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            defect = f"invalid UTF-8 at byte {exc.start}"
            text = raw.decode("utf-8", errors="replace")
        lines.append(text.replace("\x00", "\\u0000").removesuffix("\r"))
        defects.append(defect)
    return LineChunk(list(range(start + 1, start + len(lines) + 1)), lines, defects)
