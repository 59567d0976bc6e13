"""`.json` files holding one JSON document: an array of records (what exports write) or pretty-printed
objects. Read line by line, each of their lines was quarantined as invalid JSON."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import blake3
import pytest

from paritylab.config import IngestConfig
from paritylab.ingest.pipeline import detect_format, ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.store import Store
from tests.ingest.test_malformed import wrapper

KEEP_ALL = IngestConfig(sample_rate=1.0)
RECORDS = [wrapper(request_id=f"r{i}", prompt=f"question {i}\nwith a newline") for i in range(5)]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("array.json", json.dumps(RECORDS, indent=2)),
        ("compact-array.json", json.dumps(RECORDS)),
        ("pretty-objects.json", "\n".join(json.dumps(r, indent=2) for r in RECORDS) + "\n"),
        ("bom-array.json", "\ufeff" + json.dumps(RECORDS, indent=4)),
    ],
)
def test_a_json_document_is_read_record_by_record(store: Store, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert detect_format(path) == "wrapper"
    batch = ingest_file(store, path, None, KEEP_ALL, redactor=Redactor())
    assert batch.reconciles() and (batch.seen, batch.stored, batch.quarantined) == (5, 5, 0)
    rows = store.rows("SELECT log_id, position, input_text FROM logs ORDER BY position")
    assert [(r["log_id"], r["position"]) for r in rows] == [(f"wrapper:r{i}", i + 1) for i in range(5)]
    assert rows[0]["input_text"] == "question 0\nwith a newline"
    [(content_hash,)] = store.execute("SELECT content_hash FROM ingest_batches").fetchall()
    assert content_hash == "blake3:" + blake3.blake3(path.read_bytes()).hexdigest()  # the bytes, as for lines


def test_a_gzipped_array_and_a_single_pretty_object(store: Store, tmp_path: Path) -> None:
    packed = tmp_path / "export.json.gz"
    packed.write_bytes(gzip.compress(json.dumps(RECORDS, indent=2).encode()))
    one = tmp_path / "call.json"
    one.write_text(json.dumps(RECORDS[0] | {"request_id": "single"}, indent=2))
    batches = [ingest_file(store, p, None, KEEP_ALL, redactor=Redactor()) for p in (packed, one)]
    assert [(b.stored, b.reconciles()) for b in batches] == [(5, True), (1, True)]


def test_a_broken_document_is_read_line_by_line_with_a_warning(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Cut short (still being written, or truncated by a copy): not a document; read as lines, each one
    quarantined as before, nothing lost."""
    text = json.dumps(RECORDS, indent=2)[:-40]
    path = tmp_path / "cut.json"
    path.write_text(text)
    with caplog.at_level(logging.WARNING):
        batch = ingest_file(store, path, "wrapper", KEEP_ALL, redactor=Redactor())
    assert batch.reconciles() and batch.seen == len(text.splitlines()) == batch.quarantined
    assert caplog.text.count("cut.json is not a valid JSON document") == 1
    assert detect_format(path) == "wrapper" and caplog.text.count("not a valid JSON document") == 1


def test_json_lines_stay_lines(store: Store, tmp_path: Path) -> None:
    """A `.json` file of one object a line (LiteLLM's bucket objects, most loggers) and a `.jsonl` file
    are read as lines, even one that starts with an array."""
    lines = tmp_path / "calls.json"
    lines.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    listed = tmp_path / "odd.jsonl"
    listed.write_text(json.dumps(RECORDS[:2]) + "\n" + json.dumps(RECORDS[2]) + "\n")
    first = ingest_file(store, lines, None, KEEP_ALL, redactor=Redactor())
    second = ingest_file(store, listed, "wrapper", KEEP_ALL, redactor=Redactor())
    assert (first.seen, first.stored) == (5, 5)
    assert (second.seen, second.stored, second.quarantined) == (2, 0, 1) and second.already_stored == 1


def test_a_name_duckdb_would_read_as_a_glob_and_a_lax_record(store: Store, tmp_path: Path) -> None:
    """Found in review: `export[1].json` was read by DuckDB as the glob it looks like (the records of
    `export1.json`); a record with a trailing comma, which DuckDB accepts, was stored (as a line, not)."""
    (tmp_path / "export1.json").write_text(json.dumps([RECORDS[0] | {"request_id": "other"}]))
    path = tmp_path / "export[1].json"
    pretty = json.dumps(RECORDS[1], indent=2)
    lax = pretty[: pretty.rindex("\n}")] + ",\n}"  # a trailing comma before the closing brace
    path.write_text("[" + json.dumps(RECORDS[0], indent=2) + ",\n" + lax + "]")
    batch = ingest_file(store, path, "wrapper", KEEP_ALL, redactor=Redactor())
    assert batch.reconciles() and (batch.stored, batch.quarantined) == (1, 1)
    assert store.rows("SELECT log_id FROM logs") == [{"log_id": "wrapper:r0"}]
    [reasons] = store.execute("SELECT reasons FROM quarantine").fetchone()
    assert reasons[0].startswith("invalid JSON")
