"""read_chunks against a plain split of the bytes: chunk boundaries, lines longer than a chunk, CRLF,
bad bytes and gzip must never change which lines come out, their text or their numbers."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from paritylab.ingest.compressed import CUT_SHORT
from paritylab.ingest.lines import UTF8_BOM, _first_block, read_chunks


def expected_lines(data: bytes) -> list[tuple[int, str, str | None]]:
    raw = data.split(b"\n")
    if data.endswith(b"\n"):
        raw = raw[:-1]
    out = []
    for i, line in enumerate(raw, start=1):
        defect = "NUL byte in line" if b"\x00" in line else None
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            defect, text = f"invalid UTF-8 at byte {exc.start}", line.decode("utf-8", errors="replace")
        out.append((i, text.replace("\x00", "\\u0000").removesuffix("\r"), defect))
    return out


def read_all(path: Path, chunk_bytes: int) -> list[tuple[int, str, str | None]]:
    rows = []
    for chunk in read_chunks(path, chunk_bytes=chunk_bytes):
        table = chunk.to_arrow()
        rows += zip(*(table.column(c).to_pylist() for c in ("position", "line", "defect")), strict=True)
    return rows


CONTENT = {
    "plain": b"".join(b'{"i": %d, "text": "%s"}\n' % (i, b"x" * (i % 37)) for i in range(300)),
    "no final newline": b'{"a": 1}\n{"b": 2}\n{"c": 3}',
    "blank lines": b'\n\n{"a": 1}\n\n\n{"b": 2}\n\n',
    "long lines": b"\n".join([b"y" * 5000, b"short", b"z" * 12_000, b""]) + b"\n",
    "crlf": b'{"a": 1}\r\n{"b": "two"}\r\n\r\n{"c": 3}\r\n',
    "bad bytes": b'{"a": 1}\n{"b": "\xff\xfe"}\n{"c": "nul\x00here"}\n{"d": 4}\n',
    "multibyte": ('{"t": "caf\u00e9 \u2013 \U0001f600"}\n' * 50).encode(),
}


@pytest.mark.parametrize("name", sorted(CONTENT))
@pytest.mark.parametrize("chunk_bytes", [7, 64, 1000, 1 << 20])
def test_chunks_give_exactly_the_lines_of_the_file(tmp_path: Path, name: str, chunk_bytes: int) -> None:
    data = CONTENT[name]
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    assert read_all(path, chunk_bytes) == expected_lines(data)


def test_gzip_reads_like_the_plain_file(tmp_path: Path) -> None:
    data = CONTENT["plain"] + CONTENT["bad bytes"]
    plain, packed = tmp_path / "x.jsonl", tmp_path / "x.jsonl.gz"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data))
    assert read_all(packed, 999) == read_all(plain, 999) == expected_lines(data)


@pytest.mark.parametrize("chunk_bytes", [7, 1000, 1 << 20])
def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path: Path, chunk_bytes: int) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(UTF8_BOM + CONTENT["plain"])
    assert read_all(path, chunk_bytes) == expected_lines(CONTENT["plain"])
    path.write_bytes(b'{"a": "\xef\xbb\xbf"}\n' + UTF8_BOM + b'{"b": 2}\n')  # elsewhere it is text
    assert [text for _, text, _ in read_all(path, chunk_bytes)] == ['{"a": "\ufeff"}', '\ufeff{"b": 2}']


def test_a_gzip_file_cut_short_gives_every_line_before_the_cut(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A log still being written (or a copy interrupted) ends before gzip's end marker: every line that
    decompresses comes out (GzipFile.readinto lost the whole block it was filling), the unfinished last
    line as a defect; cut at a line's end, nothing is missing and nothing is a defect, but a warning
    says the file is not whole."""
    data = b"".join(b'{"i": %d, "pad": "%s"}\n' % (i, b"%x" % (i * 7919) * 9) for i in range(60_000))
    packed = gzip.compress(data)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    rows = read_all(path, 1 << 20)
    complete = expected_lines(data)[: len(rows) - 1]
    assert len(rows) > 30_000 and rows[:-1] == complete
    position, text, defect = rows[-1]
    assert (
        position == len(rows)
        and defect == CUT_SHORT
        and data.split(b"\n")[position - 1].startswith(text.encode())
    )
    head = data[: data.index(b"\n", len(data) // 2) + 1]
    sink = io.BytesIO()
    writer = gzip.GzipFile(fileobj=sink, mode="wb")
    writer.write(head)
    writer.flush()  # a writer that has not closed the file yet: every byte readable, no end marker
    (tmp_path / "open.jsonl.gz").write_bytes(sink.getvalue())
    with caplog.at_level("WARNING"):
        assert read_all(tmp_path / "open.jsonl.gz", 1 << 20) == expected_lines(head)
    assert "open.jsonl.gz was cut short at a line's end" in caplog.text  # not whole: said, not silent
    assert f"its {len(expected_lines(head))} lines were read" in caplog.text


def test_a_gzip_file_packed_tighter_than_guessed_reads_in_growing_blocks(tmp_path: Path) -> None:
    """The first block is sized from the file (a 1 KB log does not zero a 128 MB buffer); a gzip file
    that unpacks to far more than guessed is read in growing blocks, every line exactly once."""
    data = b"".join(
        b'{"i": %d, "same": "%s"}\n' % (i, b"a" * 200) for i in range(40_000)
    )  # ~9 MB, packs 50x+
    path = tmp_path / "tight.jsonl.gz"
    path.write_bytes(gzip.compress(data))
    assert _first_block(path, 1 << 30) < len(data) // 4
    assert read_all(path, 1 << 22) == expected_lines(data)
    small = tmp_path / "small.jsonl"
    small.write_bytes(CONTENT["plain"])
    assert _first_block(small, 1 << 27) == 1 << 16 and read_all(small, 1 << 27) == expected_lines(
        CONTENT["plain"]
    )


def test_a_chunk_is_split_into_record_batches_for_parallel_scans(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"{}\n" * 50_000)
    [chunk] = list(read_chunks(path))
    assert len(chunk) == 50_000 and len(chunk.to_arrow().to_batches()) > 1


def test_prefetch_yields_everything_in_order_and_raises_where_the_source_failed() -> None:
    from paritylab.ingest.lines import prefetch

    assert list(prefetch(iter(range(100)))) == list(range(100))

    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disk gone")

    got: list[int] = []
    with pytest.raises(OSError, match="disk gone"):
        for item in prefetch(failing()):
            got.append(item)
    assert got == [1, 2]


def test_prefetch_stops_its_thread_when_the_caller_stops_early() -> None:
    import threading

    from paritylab.ingest.lines import prefetch

    items = prefetch(iter(range(10_000)))
    assert next(items) == 0
    items.close()  # what a `for` loop left by an exception does
    assert not any(t.name == "paritylab-read-ahead" for t in threading.enumerate())


@pytest.mark.parametrize("name", ["x.jsonl", "x.jsonl.gz"])
def test_the_digest_taken_while_reading_is_the_file_hash(tmp_path: Path, name: str) -> None:
    import hashlib

    import blake3

    from paritylab.ingest.lines import ContentDigest, file_content, file_hash

    data = CONTENT["plain"] * 20
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    digest = ContentDigest()
    rows = [row for chunk in read_chunks(path, chunk_bytes=1000, digest=digest) for row in [len(chunk)]]
    assert sum(rows) == len(expected_lines(data))
    # the bytes of the file itself (compressed, for gzip): what a re-run finds on disk
    assert digest.content() == file_content(path)
    assert (
        digest.content().digest == file_hash(path) == "blake3:" + blake3.blake3(path.read_bytes()).hexdigest()
    )
    assert digest.content().size == path.stat().st_size and digest.content().sha256 is None
    # SHA-256 as well only when asked for: a store written before BLAKE3 knows files by it
    both = ContentDigest(sha256=True)
    assert sum(len(chunk) for chunk in read_chunks(path, chunk_bytes=1000, digest=both)) == sum(rows)
    assert both.content() == file_content(path, sha256=True)
    assert both.content().sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert both.content().digest == digest.content().digest


def test_zstd_files_are_read_whole_across_frames_and_up_to_a_cut(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A .zst log (what OTel collectors and log shippers write): one frame, several frames (a writer that
    appends), cut short inside a frame (the unfinished last line a defect: zstd's own reader would end
    silently) or corrupt (with a checksum, as the zstd CLI writes: an IngestError, not a crash)."""
    import zstandard

    from paritylab.errors import IngestError

    data = b"".join(b'{"i": %d, "pad": "%s"}\n' % (i, b"%x" % (i * 7919) * 9) for i in range(60_000))
    half = data.index(b"\n", len(data) // 2) + 1
    one = zstandard.ZstdCompressor().compress(data)
    frames = zstandard.ZstdCompressor().compress(data[:half]) + zstandard.ZstdCompressor().compress(
        data[half:]
    )
    for name, packed in [("one.jsonl.zst", one), ("frames.jsonl.zst", frames)]:
        (tmp_path / name).write_bytes(packed)
        assert read_all(tmp_path / name, 1 << 20) == expected_lines(data), name
    (tmp_path / "cut.jsonl.zst").write_bytes(one[: len(one) * 2 // 3])
    rows = read_all(tmp_path / "cut.jsonl.zst", 1 << 20)
    assert len(rows) > 10_000 and rows[:-1] == expected_lines(data)[: len(rows) - 1]
    position, text, defect = rows[-1]
    assert defect == CUT_SHORT and data.split(b"\n")[position - 1].startswith(text.encode())
    (tmp_path / "header.jsonl.zst").write_bytes(one[:7])  # cut before any line: none, but not silent
    with caplog.at_level("WARNING"):
        assert read_all(tmp_path / "header.jsonl.zst", 1 << 20) == []
    assert "header.jsonl.zst was cut short at a line's end" in caplog.text and "its 0 lines" in caplog.text
    checked = zstandard.ZstdCompressor(write_checksum=True).compress(data)  # as the zstd CLI writes
    (tmp_path / "bad.jsonl.zst").write_bytes(checked[:100] + b"garbage" * 100 + checked[800:])
    with pytest.raises(IngestError, match=r"cannot read .*bad\.jsonl\.zst: zstd"):
        read_all(tmp_path / "bad.jsonl.zst", 1 << 20)
