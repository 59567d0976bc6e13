"""Compressed log files (gzip, zstd), read up to where their bytes end.

A compressed file cut short (a log still being written, a copy interrupted) yields every byte that
decompresses, then ends with `cut` set, so the reader can quarantine its unfinished last line
(CUT_SHORT) instead of failing the file: gzip's own reader would raise EOFError and lose the block it
was filling; zstd's would end silently, the cut unseen.
"""

from __future__ import annotations

import contextlib
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COMPRESSED_SUFFIXES = (".gz", ".zst")
CUT_SHORT = (
    "compressed file cut short (it ends before its end-of-stream marker: still being written, or "
    "truncated): its last line may be incomplete"
)
_ZSTD_READ = 1 << 20  # compressed bytes fed to the decompressor at a time


UNPACKED_RATIO = 8  # a compressed log's lines take about this many times its size (JSON logs pack 5-15x)


def is_compressed(path: Path) -> bool:
    return path.name.lower().endswith(COMPRESSED_SUFFIXES)


def unpacked_size(path: Path, size: int) -> int:
    """About how many bytes of lines a file of `size` bytes holds."""
    return size * UNPACKED_RATIO if is_compressed(path) else size


def without_compression(name: str) -> str:
    """`name` without its compression suffix (app.log.2.gz -> app.log.2)."""
    for suffix in COMPRESSED_SUFFIXES:
        name = name.removesuffix(suffix)
    return name


@contextlib.contextmanager
def unpacked(path: Path, stream: Any) -> Iterator[Any]:
    """`stream` (the file's bytes) decompressed as its name says; a raw readable with `cut`."""
    name = path.name.lower()
    if name.endswith(".gz"):
        with gzip.GzipFile(fileobj=stream, mode="rb") as unpacking:  # does not close `stream`
            yield _GzipUntilCut(unpacking)
    elif name.endswith(".zst"):
        yield _ZstdUntilCut(stream)
    else:
        yield stream


class _GzipUntilCut(io.RawIOBase):
    """A gzip stream read up to where its bytes end (GzipFile.readinto raises EOFError at a cut)."""

    def __init__(self, unpacking: gzip.GzipFile) -> None:
        self._unpacking, self.cut = unpacking, False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < len(view) and not self.cut:
            try:
                piece = self._unpacking.read1(len(view) - filled)
            except EOFError:
                self.cut = True
                break
            if not piece:
                break
            view[filled : filled + len(piece)] = piece
            filled += len(piece)
        return filled


class _ZstdUntilCut(io.RawIOBase):
    """A zstd stream (one frame or several, as appending writers leave them) decompressed frame by frame;
    `cut` when the bytes end inside a frame. A corrupt frame is an OSError."""

    def __init__(self, stream: Any) -> None:
        import zstandard

        self._zstd, self._stream = zstandard, stream
        self._frame = zstandard.ZstdDecompressor().decompressobj()
        self._in_frame = False  # bytes of the current frame were fed
        self._out, self._at = b"", 0
        self.cut = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while self._at == len(self._out):
            data = self._stream.read(_ZSTD_READ)
            if not data:
                self.cut = self._in_frame
                return 0
            self._out, self._at = self._feed(data), 0
        n = min(len(view), len(self._out) - self._at)
        view[:n] = self._out[self._at : self._at + n]
        self._at += n
        return n

    def _feed(self, data: bytes) -> bytes:
        out = []
        try:
            while data:
                if self._frame.eof:  # the next frame
                    self._frame = self._zstd.ZstdDecompressor().decompressobj()
                out.append(self._frame.decompress(data))
                data = self._frame.unused_data if self._frame.eof else b""
                self._in_frame = not self._frame.eof
        except self._zstd.ZstdError as exc:
            raise OSError(f"zstd: {exc}") from exc
        return b"".join(out)
