"""Ingest end to end on real files: the bundled sample logs in all three formats, idempotent re-ingest,
an interrupted ingest, and PII that must not survive anywhere in the DuckDB file."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paritylab.cli import app
from paritylab.config import IngestConfig, load_settings
from paritylab.errors import IngestError
from paritylab.ingest import batches as batch_records
from paritylab.ingest.lines import expand_paths
from paritylab.ingest.pipeline import ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.ingest.run import ingest_paths
from paritylab.store import Store, open_store
from tests.ingest.test_malformed import w

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_LOGS = ROOT / "datasets" / "sample" / "logs"
PLANTED = {
    "EMAIL": "jane.doe+billing@example.org",
    "PHONE": "+44 20 7946 0958",
    "CARD": "4111 1111 1111 1111",
    "IBAN": "DE89 3704 0044 0532 0130 00",
    "GOV_ID": "078-05-1120",
    "API_KEY": "sk-proj-4fJ2kLm9Qx7RtY3pWz8aBc6DeF1gHi5JkL0mN",
    "IP": "203.0.113.195",
}


def test_sample_logs_in_every_format_are_stored_and_reconcile(tmp_path: Path) -> None:
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    batches = ingest_paths(settings, [str(SAMPLE_LOGS)])
    assert {b.source_format for b in batches} == {"wrapper", "openai", "otel"}
    assert any(b.source.endswith(".gz") for b in batches) and any(b.source.endswith(".log") for b in batches)
    assert all(b.reconciles() for b in batches)
    truth = sum(1 for _ in (ROOT / "datasets" / "sample" / "truth.jsonl").open())
    assert sum(b.stored for b in batches) == truth  # sample_rate 1.0 by default: every call kept
    assert sum(b.quarantined for b in batches) == 0
    logging_batch = next(b for b in batches if b.source.endswith(".log"))
    assert logging_batch.skipped_kinds.get("other logger: httpx", 0) > 0
    with open_store(settings.store) as db:
        [row] = db.rows("""SELECT count(*) FILTER (WHERE question IS NULL) AS no_question,
                                  count(*) FILTER (WHERE status = 'error') AS errors,
                                  count(*) FILTER (WHERE feedback = -1) AS thumbs_down,
                                  count(DISTINCT source_format) AS formats FROM logs""")
    assert row["no_question"] == 0 and row["errors"] > 50 and row["thumbs_down"] > 150 and row["formats"] == 3


def test_ingesting_the_same_files_twice_stores_nothing_new(tmp_path: Path) -> None:
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    first = ingest_paths(settings, [str(SAMPLE_LOGS / "openai-requests.jsonl")])
    again = ingest_paths(settings, [str(SAMPLE_LOGS / "openai-requests.jsonl")])
    assert first[0].stored > 0 and again[0].stored == 0 and again[0].already_stored == first[0].stored
    assert again[0].unchanged and again[0].batch_id == first[0].batch_id and again[0].reconciles()
    forced = ingest_paths(settings, [str(SAMPLE_LOGS / "openai-requests.jsonl")], force=True)
    assert not forced[0].unchanged and forced[0].already_stored == first[0].stored
    resampled = load_settings(env={"PARITYLAB_INGEST__SAMPLE_RATE": "0.5"}, store=settings.store)
    assert not ingest_paths(resampled, [str(SAMPLE_LOGS / "openai-requests.jsonl")])[0].unchanged
    with open_store(settings.store) as db:
        assert db.rows("SELECT count(*) AS n FROM logs") == [{"n": first[0].stored}]
        assert db.rows("SELECT count(*) AS n FROM ingest_batches") == [{"n": 3}]  # first, forced, resampled


RECORD = {"ts": "2026-11-16T10:00:00Z", "app": "a", "model": "m", "prompt": "p", "response": "r", "ok": True}


def _calls(tmp_path: Path, bad_lines: str) -> Path:
    """calls.jsonl: one good wrapper record (request_id "good"), then `bad_lines`."""
    source = tmp_path / "calls.jsonl"
    source.write_text(json.dumps({**RECORD, "request_id": "good"}) + "\n" + bad_lines)
    return source


def test_a_forced_re_ingest_quarantines_nothing_twice(tmp_path: Path) -> None:
    """A quarantine row's id hashes the content and the position: the same bytes ingested again (forced)
    meet their rows already quarantined; other bytes with the same bad lines are quarantined anew."""
    source = _calls(tmp_path, '{"truncated": \n[1, 2]\n')
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    first = ingest_paths(settings, [str(source)])
    forced = ingest_paths(settings, [str(source)], force=True)
    source.write_text(source.read_text() + json.dumps({**RECORD, "request_id": "new"}) + "\n")
    grown = ingest_paths(settings, [str(source)])
    assert [b.quarantined for b in (*first, *forced, *grown)] == [2, 2, 2]
    assert all(b.reconciles() for b in (*first, *forced, *grown))
    with open_store(settings.store) as db:
        rows = db.rows("SELECT batch_id, count(*) AS n FROM quarantine GROUP BY 1 ORDER BY min(created_at)")
    assert rows == [{"batch_id": first[0].batch_id, "n": 2}, {"batch_id": grown[0].batch_id, "n": 2}]


@pytest.mark.parametrize("lookup_max", [0, 2048], ids=["scan of stored ids", "index lookups"])
def test_rows_stored_before_are_found_by_either_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lookup_max: int
) -> None:
    """A log that grew since it was last ingested: its old rows are already stored, its new ones are not."""
    from paritylab.ingest import batches

    monkeypatch.setattr(batches, "INDEX_LOOKUP_MAX_IDS", lookup_max)
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    lines = (SAMPLE_LOGS / "openai-requests.jsonl").read_text().splitlines(keepends=True)
    log = tmp_path / "app.jsonl"
    log.write_text("".join(lines[: len(lines) // 3]))
    [first] = ingest_paths(settings, [str(log)])
    log.write_text("".join(lines))
    [grown] = ingest_paths(settings, [str(log)])
    assert first.stored == len(lines) // 3 and grown.already_stored == first.stored
    assert grown.stored == len(lines) - first.stored and grown.reconciles()
    with open_store(settings.store) as db:
        assert db.rows("SELECT count(*) AS n, count(DISTINCT log_id) AS ids FROM logs") == [
            {"n": len(lines), "ids": len(lines)}
        ]
        assert db.rows("SELECT count(*) AS n FROM logs WHERE batch_id = ?", [grown.batch_id]) == [
            {"n": grown.stored}
        ]


def test_a_store_written_before_blake3_still_knows_its_files_by_their_sha256(tmp_path: Path) -> None:
    """paritylab 0.1 recorded a file's SHA-256, bare, and hashed it into its quarantine rows' ids. The same
    bytes are still found unchanged; forced again, they keep that identity and quarantine nothing twice;
    other bytes are known by their BLAKE3. SHA-256 is taken only for a size such a batch had."""
    import hashlib

    from paritylab.ingest.batches import sha256_wanted

    source = _calls(tmp_path, '{"truncated": \n')
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    [first] = ingest_paths(settings, [str(source)])
    sha256 = hashlib.sha256(source.read_bytes()).hexdigest()
    with open_store(settings.store) as db:  # rewritten as paritylab 0.1 wrote it
        assert not sha256_wanted(db.con)(source.stat().st_size)
        db.execute("UPDATE ingest_batches SET content_hash = ?", [sha256])
        db.execute(
            "UPDATE quarantine SET quarantine_id = left(sha256(? || ':' || position || ':0'), 32)", [sha256]
        )
        wanted = sha256_wanted(db.con)
        assert wanted(source.stat().st_size) and not wanted(source.stat().st_size + 1)
    [again] = ingest_paths(settings, [str(source)])
    assert again.unchanged and again.batch_id == first.batch_id
    [forced] = ingest_paths(settings, [str(source)], force=True)
    assert (forced.quarantined, forced.already_stored) == (first.quarantined, first.stored) == (1, 1)
    source.write_text(source.read_text() + json.dumps({**RECORD, "request_id": "new"}) + "\n")
    [grown] = ingest_paths(settings, [str(source)])
    assert grown.stored == 1 and grown.quarantined == 1 and grown.reconciles()
    with open_store(settings.store) as db:
        hashes = [
            r["content_hash"] for r in db.rows("SELECT content_hash FROM ingest_batches ORDER BY started_at")
        ]
        quarantined = db.rows(
            "SELECT batch_id, count(*) AS n FROM quarantine GROUP BY 1 ORDER BY min(created_at)"
        )
    assert hashes[:2] == [sha256, sha256] and hashes[2].startswith("blake3:")
    assert quarantined == [{"batch_id": first.batch_id, "n": 1}, {"batch_id": grown.batch_id, "n": 1}]


def test_only_a_file_of_a_size_seen_before_is_hashed_before_it_is_read(tmp_path: Path) -> None:
    """The unchanged check needs the hash before reading; a size no earlier batch had rules it out, so
    such a file is read (and hashed) once. Either way the batch records the hash and size of its bytes."""
    import gzip

    import blake3

    from paritylab.ingest.run import may_be_unchanged

    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    source = (SAMPLE_LOGS / "openai-requests.jsonl").read_bytes()
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz"
    a.write_bytes(source)
    b.write_bytes(gzip.compress(source))
    with open_store(settings.store) as db:
        assert not may_be_unchanged(db, a.stat().st_size, settings.ingest)  # nothing ingested yet
    ingest_paths(settings, [str(a)])
    with open_store(settings.store) as db:
        assert may_be_unchanged(db, a.stat().st_size, settings.ingest)
        assert not may_be_unchanged(db, b.stat().st_size, settings.ingest)
        assert not may_be_unchanged(db, a.stat().st_size, IngestConfig(sample_rate=0.5))
    [again] = ingest_paths(settings, [str(b)])
    assert not again.unchanged and again.stored == 0 and again.already_stored > 0  # same calls, other bytes
    # same size, one byte changed: hashed first, found changed, ingested
    changed = source.replace(b'"latency_ms": ', b'"latency_ms":  ', 1).replace(b", ", b",", 1)
    assert len(changed) == len(source) and changed != source
    a.write_bytes(changed)
    assert not ingest_paths(settings, [str(a)])[0].unchanged
    assert ingest_paths(settings, [str(a)])[0].unchanged
    with open_store(settings.store) as db:
        rows = db.rows("SELECT * FROM ingest_batches ORDER BY started_at")
    assert [(r["content_hash"], r["content_bytes"]) for r in rows] == [
        ("blake3:" + blake3.blake3(x).hexdigest(), len(x)) for x in (source, b.read_bytes(), changed)
    ]
    # a batch's times span its ingest, one after the other (started_at was the time of its write)
    times = [t for r in rows for t in (r["started_at"], r["finished_at"])]
    assert times == sorted(times) and all(r["finished_at"] > r["started_at"] for r in rows)


def _duckdb_settings(db: Store) -> dict[str, object]:
    [row] = db.rows("""SELECT current_setting('checkpoint_threshold') AS threshold,
                              current_setting('max_vacuum_tasks') AS vacuum,
                              current_setting('TimeZone') AS tz""")
    return row


def test_an_ingest_leaves_duckdb_as_it_found_it_and_its_batch_checkpointed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No automatic checkpoint while staging (DuckDB would compress TEMP tables about to be dropped); after
    the ingest, failed too, the settings it changed are back, no stage table is left, and the batch is in
    the database file itself (checkpointed: no WAL)."""
    source, path = SAMPLE_LOGS / "wrapper-2026-11-16.jsonl", tmp_path / "s.duckdb"
    real_write, during_write = batch_records.write, []

    def write(store: Store, *args: object) -> None:  # the real write, noting the settings it runs under
        during_write.append(_duckdb_settings(store))
        real_write(store, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(batch_records, "write", write)
    with open_store(path) as db:
        db.execute("SET checkpoint_threshold = '32MiB'")
        before = _duckdb_settings(db)
        batch = ingest_file(db, source, None, IngestConfig(), redactor=Redactor())
        assert batch.stored > 0 and during_write[0]["threshold"] == "931.3 GiB"
        assert _duckdb_settings(db) == before
        assert db.rows("SELECT table_name FROM duckdb_tables() WHERE temporary") == []
        assert not Path(f"{path}.wal").exists()

        def failing_write(*args: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(batch_records, "write", failing_write)
        with pytest.raises(OSError, match="disk full"):
            ingest_file(db, source, None, IngestConfig(), redactor=Redactor())
        assert _duckdb_settings(db) == before
        assert db.rows("SELECT count(*) AS n FROM logs") == [{"n": batch.stored}]


def test_sampling_keeps_every_failure_and_is_seeded(store: Store, tmp_path: Path) -> None:
    path = SAMPLE_LOGS / "openai-requests.jsonl"
    cfg = IngestConfig(sample_rate=0.2, seed=7)
    batch = ingest_file(store, path, None, cfg, redactor=Redactor())
    kept = store.rows("SELECT kept_because, count(*) AS n FROM logs GROUP BY 1")
    by_kind = {r["kept_because"]: r["n"] for r in kept}
    [failures] = store.rows(
        """SELECT count(*) AS n FROM read_json_auto(?) WHERE error IS NOT NULL
                               OR metadata.feedback = -1 OR len(metadata.guardrails) > 0""",
        [str(path)],
    )
    assert sum(n for k, n in by_kind.items() if k != "sampled") >= failures["n"]
    assert 0.1 < by_kind["sampled"] / (batch.sampled_out + by_kind["sampled"]) < 0.3
    assert batch.reconciles()
    other = open_store(tmp_path / "other.duckdb")
    try:
        again = ingest_file(other, path, None, cfg, redactor=Redactor())
        ids = lambda db: [r["log_id"] for r in db.rows("SELECT log_id FROM logs ORDER BY 1")]  # noqa: E731
        assert ids(store) == ids(other) and again.kept_kinds == batch.kept_kinds  # same seed, same sample
    finally:
        other.close()


@pytest.mark.parametrize("fmt", ["wrapper", "openai"])
def test_planted_pii_never_reaches_the_duckdb_file(tmp_path: Path, fmt: str) -> None:
    question = "Help! " + " / ".join(PLANTED.values())
    if fmt == "wrapper":
        record = {
            "ts": "2026-11-16T09:00:00Z",
            "request_id": "r1",
            "model": "gpt-4o-mini",
            "prompt": question,
            "question": question,
            "context": [f"note: {PLANTED['EMAIL']}"],
            "response": f"Call {PLANTED['PHONE']}",
            "ok": True,
            "error": None,
            "input_tokens": 10,
            "output_tokens": 2,
            "latency_ms": 100,
        }
    else:
        record = {
            "id": "o1",
            "created_at": "2026-11-16T09:00:00Z",
            "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": question}]},
            "response": {"choices": [{"message": {"content": f"Mail {PLANTED['EMAIL']}"}}]},
            "latency_ms": 100,
            "error": None,
        }
    broken = json.dumps(record)[:-5]  # the same PII in a truncated line: it goes to quarantine, redacted
    source = tmp_path / "pii.jsonl"
    source.write_text(json.dumps(record) + "\n" + broken + "\n")
    store_path = tmp_path / "pii.duckdb"
    with open_store(store_path) as db:
        batch = ingest_file(db, source, fmt, IngestConfig(), redactor=Redactor())
        assert batch.stored == 1 and batch.quarantined == 1
        assert set(PLANTED) <= set(batch.redactions)
        [row] = db.rows("SELECT input_text, output_text FROM logs")
        assert all(f"[{kind}]" in row["input_text"] for kind in PLANTED)
        db.execute("CHECKPOINT")
    data = store_path.read_bytes()
    for kind, value in PLANTED.items():
        assert value.encode() not in data, f"{kind} found in the DuckDB file"
        assert value.replace(" ", "").encode() not in data


def test_cli_ingest_prints_a_reconciled_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`paritylab ingest` in this process (typer's runner): a process of its own would start a validator
    of its own too, minutes of a slow CI machine's imports; the shared child below starts one already."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PARITYLAB_INGEST__SAMPLE_RATE", "0.5")
    log = SAMPLE_LOGS / "wrapper-logging-2026-11-18.log"
    out = CliRunner().invoke(app, ["ingest", str(log), "--store", str(tmp_path / "cli.duckdb")])
    assert out.exit_code == 0, f"{out.output}\n{out.exception!r}"
    assert "reconciles" in out.stdout and " yes " in out.stdout and "other logger: httpx" in out.stdout


def test_a_gzip_log_cut_short_stores_what_it_holds_and_the_complete_file_the_rest(tmp_path: Path) -> None:
    """A .gz still being written has no end marker yet: its complete records are stored, its unfinished
    last line quarantined (not the whole file lost to an error). Once complete, the same file adds the
    rest: nothing twice."""
    from paritylab.ingest.compressed import CUT_SHORT

    records = [
        {"request_id": f"g{i}", "ts": "2026-11-16T10:00:00Z", "model": "m", "prompt": f"p{i}" * 40,
         "response": "r", "ok": True}
        for i in range(3000)
    ]  # fmt: skip
    packed = gzip.compress(("\n".join(json.dumps(r) for r in records) + "\n").encode())
    path = tmp_path / "calls.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with open_store(tmp_path / "s.duckdb") as store:
        cut = ingest_file(store, path, None, IngestConfig(), redactor=Redactor())
        [row] = store.rows("SELECT position, reasons FROM quarantine")
        path.write_bytes(packed)
        whole = ingest_file(store, path, None, IngestConfig(), redactor=Redactor())
        [(stored,)] = store.con.execute("SELECT count(DISTINCT log_id) FROM logs").fetchall()
    assert cut.reconciles() and cut.quarantined == 1 and cut.stored == cut.seen - 1 > 500
    assert row["position"] == cut.seen and row["reasons"] == [CUT_SHORT]
    assert whole.reconciles() and whole.already_stored == cut.stored and whole.stored == 3000 - cut.stored
    assert stored == 3000


def test_expand_paths_accepts_files_globs_and_directories() -> None:
    by_dir = expand_paths([str(SAMPLE_LOGS)])
    by_glob = expand_paths([str(SAMPLE_LOGS / "wrapper-*")])
    assert len(by_dir) == 7 and len(by_glob) == 5 and set(by_glob) < set(by_dir)


def _u(seed: int, log_id: str) -> float:
    import hashlib

    return int(hashlib.md5(f"{seed}:{log_id}".encode()).hexdigest()[:12], 16) / 2**48


@pytest.mark.parametrize("name", ["wrapper-2026-11-16.jsonl", "openai-requests.jsonl"])
def test_sampling_before_the_full_parse_keeps_exactly_what_full_sampling_keeps(
    tmp_path: Path, name: str
) -> None:
    """At rate < 1 rows certainly sampled out are never fully parsed; the kept set must be the one the
    seeded rule gives on fully parsed rows: every failure, and successes whose hash falls under the rate."""
    path, extra = tmp_path / name, tmp_path / "extra.jsonl"
    lines = (SAMPLE_LOGS / name).read_text().splitlines()
    dup = lines[3]  # a repeated id: both copies must reach the parse, so the second is quarantined
    bad = json.loads(lines[5])
    bad.pop("id", None), bad.pop("request_id", None)
    bad["latency_ms"] = "slow"  # a type problem in a sampling field: parsed, then quarantined
    path.write_text("\n".join([*lines, dup, json.dumps(bad)]) + "\n")
    extra.write_text("")
    full, sampled = IngestConfig(sample_rate=1.0), IngestConfig(sample_rate=0.3, seed=7)
    with open_store(tmp_path / "full.duckdb") as a, open_store(tmp_path / "sampled.duckdb") as b:
        everything = ingest_file(a, path, None, full, redactor=Redactor())
        some = ingest_file(b, path, None, sampled, redactor=Redactor())
        expected = {
            r["log_id"]
            for r in a.rows("SELECT log_id, kept_because FROM logs")
            if r["kept_because"] != "sampled" or _u(7, r["log_id"]) < 0.3
        }
        kept = {r["log_id"] for r in b.rows("SELECT log_id FROM logs")}
        assert kept == expected and 0 < len(kept) < everything.stored
        reasons = b.rows("SELECT reasons FROM quarantine ORDER BY position")
    assert some.reconciles() and some.seen == everything.seen
    assert some.quarantined == everything.quarantined == 2
    assert any("duplicate log id" in r for row in reasons for r in row["reasons"])
    assert any("latency_ms: expected a number" in r for row in reasons for r in row["reasons"])


@pytest.mark.parametrize("prefix", ["", "INFO:llm_calls:"])
def test_a_duplicate_of_a_row_the_scan_let_go_is_quarantined_with_its_text(
    tmp_path: Path, prefix: str
) -> None:
    """The scan keeps no text of a row certainly sampled out; when a later line repeats its id, the first
    copy's text is read again from the file, so the duplicate is quarantined exactly as without sampling."""
    cfg = IngestConfig(sample_rate=0.3, seed=3)
    ids = [f"req_{i:04d}" for i in range(400)]
    gone = next(i for i in ids if _u(3, f"wrapper:{i}") >= 0.3)  # a success this rate certainly drops

    def line(request_id: str) -> str:
        record = {
            "ts": "2026-11-16T09:00:00Z",
            "request_id": request_id,
            "model": "m",
            "prompt": "p",
            "response": "r",
            "latency_ms": 100,
            "ok": True,
        }
        return prefix + json.dumps(record)

    lines = [line(gone)] + [line(i) for i in ids if i != gone] + [line(gone)]
    path = tmp_path / "dup.log"
    path.write_text("\n".join(lines) + "\n")
    with open_store(tmp_path / "s.duckdb") as store:
        batch = ingest_file(store, path, "wrapper", cfg, redactor=Redactor())
        [row] = store.rows("SELECT position, raw, reasons FROM quarantine")
        stored = {r["log_id"] for r in store.rows("SELECT log_id FROM logs")}
    assert batch.reconciles() and batch.quarantined == 1 and batch.seen == len(lines)
    assert row["position"] == len(lines) and row["raw"] == lines[-1]
    assert row["reasons"] == [f"duplicate log id wrapper:{gone} (first at line 1)"]
    assert f"wrapper:{gone}" not in stored
    assert stored == {f"wrapper:{i}" for i in ids if _u(3, f"wrapper:{i}") < 0.3}


def test_rows_sampling_drops_still_get_the_strict_json_check(tmp_path: Path) -> None:
    """DuckDB's parser accepts trailing commas and NaN / inf in any case; Python's strict parser decides on
    every such line, also on the ones sampling would drop, so bad JSON is quarantined at any rate. A record
    without the cheap `model` key takes the slow path and is still a record. Text that merely looks like
    a literal ("Level: Info") is a candidate, and stays a valid record."""
    lines = [
        '{"request_id": "a", "model": "m", "prompt": "p", "response": "r", "ok": true,}',
        '{"request_id": "b", "model": "m", "prompt": "p", "response": "r", "latency_ms": NaN}',
        '{"request_id": "c", "messages": [{"role": "user", "content": "hi"}], "response": "r"}',
        '{"request_id": "d", "hello": "world"}',
        '{"request_id": "e", "model": "m", "prompt": "p", "response": "r", "est_cost_usd": -inf}',
        '{"request_id": "f", "model": "m", "prompt": "Level: Info, [nano]", "response": "r"}',
    ]
    path = tmp_path / "lax.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with open_store(tmp_path / "s.duckdb") as store:
        batch = ingest_file(store, path, "wrapper", IngestConfig(sample_rate=0.0), redactor=Redactor())
        rows = store.rows("SELECT position, reasons FROM quarantine")
    reasons = {r["position"]: r["reasons"] for r in rows}
    assert batch.reconciles() and batch.sampled_out == 2 and batch.quarantined == 4
    assert all(reasons[p][0].startswith("invalid JSON") for p in (1, 2, 5))
    assert reasons[4] == ["not a wrapper record: none of the keys prompt, messages, response, model"]


def test_a_fixed_sample_count_keeps_every_failure_and_the_n_successes_with_the_lowest_hash(
    tmp_path: Path,
) -> None:
    path = SAMPLE_LOGS / "wrapper-2026-11-16.jsonl"
    full, counted = IngestConfig(sample_rate=1.0), IngestConfig(sample_count=25, seed=11)
    with open_store(tmp_path / "full.duckdb") as a, open_store(tmp_path / "counted.duckdb") as b:
        everything = ingest_file(a, path, None, full, redactor=Redactor())
        some = ingest_file(b, path, None, counted, redactor=Redactor())
        rows = a.rows("SELECT log_id, kept_because FROM logs")
        kept = {r["log_id"]: r["kept_because"] for r in b.rows("SELECT log_id, kept_because FROM logs")}
    failures = {r["log_id"] for r in rows if r["kept_because"] != "sampled"}
    sampled = [r["log_id"] for r in rows if r["kept_because"] == "sampled"]
    successes = sorted(sampled, key=lambda i: (_u(11, i), i))
    assert set(kept) == failures | set(successes[:25])
    assert sum(1 for k in kept.values() if k == "sampled") == 25
    assert some.reconciles() and some.seen == everything.seen
    assert some.sampled_out == everything.stored - len(kept)


def test_each_json_shape_of_a_wrapper_field_is_read_as_written(store: Store, tmp_path: Path) -> None:
    """Field values come from the JSON type and text of each path: strings, numbers written as
    strings or floats, objects and arrays each land as the schema says, or as a problem naming them."""
    base = {"model": "m", "prompt": "hi", "response": "ok", "ts": "2026-11-16T10:00:00Z"}
    rows = [
        {
            "request_id": "a",
            "context": "one doc",
            "error": {"type": "Timeout", "message": "slow"},
            "ok": False,
        },
        {"request_id": "b", "context": ["d1", "d2"], "input_tokens": 7.0, "est_cost_usd": 1e-3},
        {"id": 42, "question": "why?", "feedback": -1, "guardrails": ["pii"], "tags": []},
        {"request_id": "d", "error": 503, "ok": False, "latency_ms": 12},
        {"request_id": "e", "input_tokens": 7.5},
        {"request_id": "f", "input_tokens": "7"},
        {"request_id": "g", "prompt": {"text": "hi"}},
        {"request_id": "h", "ok": "yes"},
        {"request_id": "i", "guardrails": "pii"},
    ]
    path = tmp_path / "shapes.jsonl"
    path.write_text("".join(json.dumps(base | r) + "\n" for r in rows))
    batch = ingest_file(store, path, "wrapper", IngestConfig(sample_rate=1.0), redactor=Redactor())
    assert batch.reconciles() and batch.stored == 4 and batch.quarantined == 5
    logs = {r["log_id"]: r for r in store.rows("SELECT * FROM logs")}
    a, b, c, d = (logs[f"wrapper:{k}"] for k in ("a", "b", "42", "d"))
    assert json.loads(a["context"]) == "one doc" and a["error"] == "Timeout: slow" and a["status"] == "error"
    assert json.loads(b["context"]) == ["d1", "d2"] and b["input_tokens"] == 7 and b["cost_usd"] == 1e-3
    assert (
        c["question"] == "why?"
        and c["feedback"] == -1
        and c["guardrail_flags"] == ["pii"]
        and c["tags"] == []
    )
    assert d["error"] == "503" and d["latency_ms"] == 12.0
    reasons = {r["log_id"]: r["reasons"] for r in store.rows("SELECT log_id, reasons FROM quarantine")}
    assert reasons == {
        "wrapper:e": ["input_tokens: expected an integer, got double 7.5"],
        "wrapper:f": ['input_tokens: expected an integer, got varchar "7"'],
        "wrapper:g": ['prompt: expected a string, got object {"text":"hi"}'],
        "wrapper:h": ['ok: expected true/false, got varchar "yes"'],
        "wrapper:i": ['guardrails: expected a list of strings, got varchar "pii"'],
    }


def test_a_bare_prompt_is_stored_as_one_user_message_whatever_its_characters(
    store: Store, tmp_path: Path
) -> None:
    """The messages of a bare prompt are written out as JSON text by SQL: quotes, backslashes, control
    characters, non-ASCII and tag-like text must come back exactly as Python's json reads them."""
    prompts = [
        'say "hi" \\ then\nnew line\ttab',
        "控制 \u0001 \u001f é 😀 </script><script>",
        "<context>\n  policy  \n</context> <question> why? </question>",
    ]
    record = {"ts": "2026-11-16T10:00:00Z", "app": "a", "model": "m", "response": "r", "ok": True}
    lines = [json.dumps({**record, "request_id": f"p{i}", "prompt": p}) for i, p in enumerate(prompts)]
    path = tmp_path / "bare.jsonl"
    path.write_text("\n".join(lines) + "\n")
    batch = ingest_file(store, path, "wrapper", IngestConfig(), redactor=Redactor())
    rows = store.rows(
        "SELECT log_id, input_messages::VARCHAR AS m, question, context FROM logs ORDER BY log_id"
    )
    assert batch.stored == len(prompts)
    assert [json.loads(r["m"]) for r in rows] == [[{"role": "user", "content": p}] for p in prompts]
    assert (rows[2]["question"], json.loads(rows[2]["context"])) == ("why?", ["policy"])


@pytest.mark.parametrize(
    ("prompt", "question", "context"),
    [
        ("a <question> q1 </question> <question>q2</question>", "q2", None),  # the last tag counts
        ("<question>\tq\n</question></question>", "q", None),  # up to the first closing tag, stripped
        ("<question>no closing tag", None, None),
        ("</question> closed before <question>", None, None),
        ("<context>  </context><question>   </question>", None, [""]),  # blank: no question
        ("<context>c1</context> <context> c2 </context>", None, ["c2"]),
        ("<context>c1</context><context>c2", None, [""]),  # a context tag, but no text in it
        ("<CONTEXT>x</CONTEXT> no tags of ours", None, None),
    ],
)
def test_the_question_and_context_of_a_tagged_prompt(
    store: Store, tmp_path: Path, prompt: str, question: str | None, context: list[str] | None
) -> None:
    """Derived at store time from the stored prompt: the text between the last <tag> and the first
    </tag> after it, stripped of whitespace."""
    record = {"ts": "2026-11-16T10:00:00Z", "app": "a", "model": "m", "response": "r", "ok": True}
    path = tmp_path / "tagged.jsonl"
    path.write_text(json.dumps({**record, "request_id": "t", "prompt": prompt}) + "\n")
    ingest_file(store, path, "wrapper", IngestConfig(), redactor=Redactor())
    [row] = store.rows("SELECT question, context::VARCHAR AS context FROM logs")
    assert row["question"] == question
    assert (json.loads(row["context"]) if row["context"] is not None else None) == context


def test_a_store_from_before_the_logs_view_reads_as_before_and_re_ingests_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration m009 turns the logs table into stored_logs behind the `logs` view. Rows stored before it
    carry their derived columns (messages, question, context): they read the same, a new row with the
    same prompt reads alike, and the old rows still count as already stored."""
    from paritylab.store import migrations

    prompt = "Help. <context> Refunds take 5 days. </context> <question> How long? </question>"
    record = {"ts": "2026-11-16T10:00:00Z", "app": "a", "model": "m", "response": "r", "ok": True}
    source = tmp_path / "calls.jsonl"
    source.write_text("".join(json.dumps({**record, "request_id": r, "prompt": prompt}) + "\n" for r in "ab"))
    db = tmp_path / "store.duckdb"
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:-1])
    with open_store(db) as old:  # what the ingest before m009 stored for request a
        old.execute(
            """INSERT INTO logs (log_id, input_text, input_messages, question, context, output_text, status,
                                 kept_because, source_format, source, position, batch_id)
               VALUES ('wrapper:a', ?, ?, 'How long?', '["Refunds take 5 days."]', 'r', 'ok', 'sampled',
                       'wrapper', ?, 1, 'old')""",
            [prompt, json.dumps([{"role": "user", "content": prompt}], separators=(",", ":")), str(source)],
        )
    monkeypatch.undo()
    with open_store(db) as store:
        assert "m009_logs_view" in migrations.applied_migrations(store)
        batch = ingest_file(store, source, "wrapper", IngestConfig(sample_rate=1.0), redactor=Redactor())
        rows = store.rows(
            """SELECT log_id, input_messages::VARCHAR AS m, question, context::VARCHAR AS c, batch_id
               FROM logs ORDER BY log_id"""
        )
        [(stored,)] = store.con.execute("SELECT count(*) FROM stored_logs").fetchall()
    assert (batch.already_stored, batch.stored, stored) == (1, 1, 2)
    assert [r["batch_id"] for r in rows] == ["old", batch.batch_id]
    old_row, new_row = ({k: r[k] for k in ("m", "question", "c")} for r in rows)
    assert old_row == new_row
    assert json.loads(new_row["m"]) == [{"role": "user", "content": prompt}]
    assert (new_row["question"], json.loads(new_row["c"])) == ("How long?", ["Refunds take 5 days."])


def test_a_directory_gives_rotated_logs_and_names_what_it_leaves_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """logrotate names older files app.log.1, app.log.2.gz, app.log-20261116.gz: they are logs too (they
    were silently left out), as are zstd files; a file of another kind is left out with a warning."""
    import zstandard

    logs = tmp_path / "logs"
    logs.mkdir()
    plain = ["app.log", "app.log.1", "calls.jsonl.2026-11-16", "CALLS.JSONL", "app.log.2026-11-16T0400"]
    for name in plain:
        (logs / name).write_text(w(name) + "\n")
    for name in ["app.log.2.gz", "app.log-20261116.gz", "OLD.LOG.GZ"]:
        with gzip.open(logs / name, "wt") as fh:
            fh.write(w(name) + "\n")
    for name in ["spans.jsonl.zst", "app.log.3.zst"]:
        (logs / name).write_bytes(zstandard.ZstdCompressor().compress(w(name).encode() + b"\n"))
    (logs / "notes.md").write_text("# not a log\n")
    (logs / "calls.jsonl.7z").write_bytes(b"7z\xbc\xaf\x27\x1c")
    with caplog.at_level("WARNING"):
        found = expand_paths([str(logs)])
    compressed = ["app.log.2.gz", "app.log-20261116.gz", "OLD.LOG.GZ", "spans.jsonl.zst", "app.log.3.zst"]
    assert sorted(p.name for p in found) == sorted([*plain, *compressed])
    assert "2 files in" in caplog.text and "calls.jsonl.7z, notes.md" in caplog.text
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    batches = ingest_paths(settings, [str(logs)])
    assert sum(b.stored for b in batches) == 10 and all(b.reconciles() and not b.quarantined for b in batches)


def test_a_directory_gives_json_objects_without_a_suffix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An object store's log objects have no suffix (LiteLLM's GCS logger: `<date>/<call id>`): a folder
    synced from one gives them, by their first bytes; other files without a suffix are left out, named."""
    logs = tmp_path / "bucket" / "2026-11-16"
    logs.mkdir(parents=True)
    (logs / "chatcmpl-1").write_text(w("one") + "\n")
    (logs / "chatcmpl-2").write_bytes(b"\xef\xbb\xbf  " + w("two").encode() + b"\n")  # a BOM, spaces
    (logs / "_SUCCESS").write_bytes(b"")
    (logs / "README").write_text("objects of the LiteLLM logger\n")
    (logs / ".DS_Store").write_bytes(b"{\x00\x00\x00Bud1")
    (logs / "notes.txt.bak").write_text(w("three") + "\n")  # a suffix, not a log's: named, not sniffed
    with caplog.at_level("WARNING"):
        found = expand_paths([str(tmp_path / "bucket")])
    assert [p.name for p in found] == ["chatcmpl-1", "chatcmpl-2"]
    assert "4 files in" in caplog.text and ".DS_Store, README, _SUCCESS, notes.txt.bak" in caplog.text
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    batches = ingest_paths(settings, [str(tmp_path / "bucket")])
    assert sum(b.stored for b in batches) == 2 and all(b.reconciles() and not b.quarantined for b in batches)


# --- the checks that need a fresh process: one process for the three --------------------------------
# A machine zone other than UTC, no pandas in the ingesting process, a kill in the middle of a batch's
# write. Each process that ingests starts a Great Expectations validator of its own: ~1.5 CPU-s on a
# laptop, minutes on a slow CI machine, so the three share one child process (and its validator), the
# crash last. Each test reads its own lines of the child's output.

CHILD_SCRIPT = """
import os, sys
from pathlib import Path
from paritylab.config import IngestConfig, load_settings
from paritylab.ingest import batches, pipeline
from paritylab.ingest.redact import Redactor
from paritylab.ingest.run import ingest_paths
from paritylab.store import open_store
tmp, logs = Path(sys.argv[1]), Path(sys.argv[2])
with open_store(tmp / "tz.duckdb") as db:
    pipeline.ingest_file(db, tmp / "times.jsonl", None, IngestConfig(), redactor=Redactor())
    print("TZ", db.rows("SELECT current_setting('TimeZone') AS tz")[0]["tz"], flush=True)
    for row in db.rows("SELECT log_id, epoch(ts) AS t FROM logs ORDER BY 1"):
        print("TS", row["log_id"], int(row["t"]), flush=True)
settings = load_settings(env={}, store=tmp / "s.duckdb")
found = ingest_paths(settings, [str(logs), str(tmp / "rejected.jsonl")])
redacted = sum(sum(b.redactions.values()) for b in found)
print("PANDAS", sorted({b.source_format for b in found}), redacted > 0, sum(b.stored for b in found) > 0,
      found[-1].failed_validation, "pandas" in sys.modules, flush=True)
def crash(store, *a):
    store.con.execute("BEGIN TRANSACTION")
    store.con.execute("INSERT INTO stored_logs (log_id, status, kept_because, source_format, source, "
                      "position, batch_id) VALUES ('partial', 'ok', 'x', 'x', 'x', 0, 'x')")
    os._exit(9)
batches.write = crash
with open_store(tmp / "crash.duckdb") as db:
    pipeline.ingest_file(db, logs / "wrapper-2026-11-16.jsonl", None, IngestConfig(), redactor=Redactor())
"""
TIMES = {"naive": "2026-11-16T10:00:00", "zulu": "2026-11-16T10:00:00Z", "cet": "2026-11-16T11:00:00+01:00"}


@pytest.fixture(scope="module")
def child(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The child's folder and its finished process (TZ=America/New_York, killed with exit code 9)."""
    tmp = tmp_path_factory.mktemp("child")
    (tmp / "times.jsonl").write_text("".join(w(name, ts=ts) + "\n" for name, ts in TIMES.items()))
    (tmp / "rejected.jsonl").write_text(
        json.dumps({"request_id": "x", "ts": "2026-11-16T10:00:00Z", "model": "m", "prompt": "p",
                    "response": "r", "latency_ms": -5, "input_tokens": -1}) + "\n"
    )  # fmt: skip
    script = tmp / "unguarded.py"  # a script file without a main guard: see test_..._runs_once
    script.write_text(CHILD_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp), str(SAMPLE_LOGS)],
        capture_output=True, text=True, check=False, cwd=ROOT, env={**os.environ, "TZ": "America/New_York"},
    )  # fmt: skip
    return tmp, done


def child_lines(done: subprocess.CompletedProcess[str], tag: str) -> list[str]:
    return [line[len(tag) + 1 :] for line in done.stdout.splitlines() if line.startswith(tag + " ")]


def test_an_interrupted_ingest_leaves_nothing_and_a_rerun_completes(
    child: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """Kill the ingesting process mid-way; the store has no partial batch, and a rerun stores it all once."""
    tmp, crashed = child
    assert crashed.returncode == 9, crashed.stderr[-3000:]
    source = SAMPLE_LOGS / "wrapper-2026-11-16.jsonl"
    with open_store(tmp / "crash.duckdb") as db:
        assert db.rows("SELECT count(*) AS n FROM logs") == [{"n": 0}]
        batch = ingest_file(db, source, None, IngestConfig(), redactor=Redactor())
        assert batch.stored == sum(1 for line in source.read_text().splitlines() if line.strip())
        assert db.rows("SELECT count(*) AS n FROM logs") == [{"n": batch.stored}]


def test_an_ingest_does_not_import_pandas_in_its_own_process(
    child: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """pandas costs ~0.3 CPU-s to import: only the validator process needs it (for GX). Every format,
    redactions written back, rows GX rejected quarantined with every reason, in their order."""
    tmp, done = child
    assert child_lines(done, "PANDAS") == ["['openai', 'otel', 'wrapper'] True True 1 False"], done.stderr[
        -3000:
    ]
    with open_store(tmp / "s.duckdb") as store:
        [row] = store.rows("SELECT reasons FROM quarantine")
    assert row["reasons"] == [
        "input_tokens is negative or above 2000000",
        "latency_ms is negative or above one hour",
    ]


def test_a_timestamp_without_a_zone_is_utc_whatever_the_machine_zone(
    child: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """`datetime.utcnow().isoformat()` writes no zone: such a time is read as UTC, on a machine in New York
    too (DuckDB read it in the machine's zone: 5 hours later there); times with a zone keep theirs."""
    _, done = child
    assert child_lines(done, "TZ") == ["America/New_York"], done.stderr[-3000:]
    ten_utc = 1794823200  # 2026-11-16T10:00:00Z
    assert child_lines(done, "TS") == [f"wrapper:req_{n} {ten_utc}" for n in ("cet", "naive", "zulu")]


def test_a_script_without_a_main_guard_runs_once(
    child: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """The child is a script file with no `if __name__ == "__main__"`, and its ingests start a validator
    process: multiprocessing's spawn would import the script again there and ingest twice."""
    _, done = child
    assert [len(child_lines(done, tag)) for tag in ("TZ", "TS", "PANDAS")] == [1, 3, 1], done.stdout


def test_an_unknown_format_is_a_clear_error_before_anything_is_read(tmp_path: Path) -> None:
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    (tmp_path / "a.jsonl").write_text(w("r1") + "\n")
    with pytest.raises(IngestError, match="unknown log format 'jsonl'") as raised:
        ingest_paths(settings, [str(tmp_path / "a.jsonl")], "jsonl")  # was a KeyError from deep inside
    assert "wrapper, openai, otel, litellm" in (raised.value.hint or "")
