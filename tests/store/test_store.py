"""Tests for paritylab.store: opening, migrations, the ledger/cache, runs and the cross-process lock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paritylab.errors import StoreError, StoreLocked
from paritylab.store import Store, open_store
from paritylab.store.ledger import CachedResponse, CallRecord, Ledger
from paritylab.store.migrations import M001_RUNS_CALLS_RESPONSES, MIGRATIONS, applied_migrations, migrate
from paritylab.store.runs import finish_run, new_run_id, start_run
from paritylab.store.sql import int64_array, string_array

HOLD_UNTIL_STDIN_CLOSES = (
    "import duckdb, sys\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('ready', flush=True)\n"
    "sys.stdin.read()\n"
    "con.close()\n"
)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "paritylab.duckdb"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    with open_store(store_path, lock_timeout_s=1) as s:
        yield s


def call(call_id: str, request_hash: str = "h-1", **overrides: object) -> CallRecord:
    fields: dict[str, object] = {
        "call_id": call_id,
        "run_id": "run-1",
        "request_hash": request_hash,
        "purpose": "answer",
        "model_name": "sim-good",
        "provider": "sim",
        "model": "sim-good",
        "candidate_id": "abc123",
        "item_id": "item-1",
        "attempt": 1,
        "status": "ok",
        "started_at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "input_tokens": 10,
        "output_tokens": 5,
        "cost_usd": 0.001,
        "latency_ms": 123.5,
        "simulated": True,
    }
    fields.update(overrides)
    return CallRecord(**fields)  # type: ignore[arg-type]


def response(request_hash: str, text: str = "an answer") -> CachedResponse:
    return CachedResponse(
        request_hash=request_hash,
        provider="sim",
        model="sim-good",
        text=text,
        stop_reason="stop",
        input_tokens=12,
        output_tokens=3,
        latency_ms=42.0,
        cost_usd=0.0002,
        simulated=True,
        created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


@contextmanager
def lock_holder(
    path: Path, script: str = HOLD_UNTIL_STDIN_CLOSES, *args: str
) -> Iterator[subprocess.Popen[str]]:
    """A separate process with the DuckDB file open for writing, ready once it printed 'ready'."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        if proc.stdin and not proc.stdin.closed:
            proc.stdin.close()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


# --- opening and migrations ------------------------------------------------------------------------


def test_open_store_creates_file_parents_and_migrates(store_path: Path) -> None:
    assert not store_path.parent.exists()
    with open_store(store_path) as s:
        assert store_path.exists()
        assert applied_migrations(s) == [name for name, _ in MIGRATIONS]
        assert applied_migrations(s)[:2] == ["m001_runs_calls_responses", "m002_logs_quarantine_batches"]
        tables = {r["table_name"] for r in s.rows("SELECT table_name FROM information_schema.tables")}
        assert {"_migrations", "runs", "calls", "responses", "logs", "quarantine", "ingest_batches"} <= tables
        assert s.path == store_path


def test_reopening_applies_nothing_new(store_path: Path) -> None:
    open_store(store_path).close()
    with open_store(store_path) as s:
        assert migrate(s) == []
        assert applied_migrations(s) == [name for name, _ in MIGRATIONS]
        assert s.rows("SELECT count(*) AS n FROM _migrations") == [{"n": len(MIGRATIONS)}]


def test_read_only_missing_store_is_store_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    with pytest.raises(StoreError, match="does not exist"):
        open_store(missing, read_only=True)
    assert not missing.exists()


def test_read_only_open_sees_data(store_path: Path) -> None:
    with open_store(store_path) as s:
        start_run(s, "eval", {}, run_id="run-ro")
    with open_store(store_path, read_only=True) as s:
        assert [r["run_id"] for r in s.rows("SELECT run_id FROM runs")] == ["run-ro"]


# --- ledger ----------------------------------------------------------------------------------------


def test_record_and_flush_write_calls(store: Store) -> None:
    ledger = Ledger(store)
    ledger.record(call("c-1"))
    ledger.record(call("c-2", attempt=2, status="error", error_class="rate_limited", http_status=429))
    assert store.rows("SELECT count(*) AS n FROM calls") == [{"n": 0}]  # buffered
    ledger.flush()
    rows = store.rows("SELECT * FROM calls ORDER BY call_id")
    assert [r["call_id"] for r in rows] == ["c-1", "c-2"]
    first, second = rows
    assert first["status"] == "ok"
    assert first["run_id"] == "run-1"
    assert first["latency_ms"] == 123.5
    assert first["simulated"] is True
    assert first["started_at"] == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (second["status"], second["error_class"], second["http_status"], second["attempt"]) == (
        "error",
        "rate_limited",
        429,
        2,
    )


def test_duplicate_call_id_is_ignored(store: Store) -> None:
    ledger = Ledger(store)
    ledger.record(call("c-1"))
    ledger.record(call("c-1", status="error"))  # same key in the same batch
    ledger.flush()
    ledger.record(call("c-1", status="cache_hit"))  # and again in a later batch
    ledger.flush()
    rows = store.rows("SELECT call_id, status FROM calls")
    assert rows == [{"call_id": "c-1", "status": "ok"}]


def test_record_flushes_automatically_at_batch_size(store: Store) -> None:
    """A full batch wakes the background writer at once (the interval timer is an hour here)."""
    ledger = Ledger(store, flush_every=3, flush_interval_s=3600)
    try:
        for i in range(2):
            ledger.record(call(f"c-{i}"))
        time.sleep(0.2)
        assert store.rows("SELECT count(*) AS n FROM calls") == [{"n": 0}]
        ledger.record(call("c-2"))
        deadline = time.monotonic() + 10
        while store.rows("SELECT count(*) AS n FROM calls") != [{"n": 3}] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.rows("SELECT count(*) AS n FROM calls") == [{"n": 3}]
    finally:
        ledger.close()


def test_writer_thread_errors_are_raised_not_dropped(store: Store) -> None:
    ledger = Ledger(store, flush_every=1, flush_interval_s=3600)
    store.execute("DROP TABLE calls")  # every insert will now fail in the writer thread
    ledger.record(call("c-1"))
    with pytest.raises(StoreError, match=r"writing the call ledger .* failed"):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ledger.flush()
            time.sleep(0.02)
    # the row was kept in memory: once the table is back, closing the ledger writes it
    calls_ddl = M001_RUNS_CALLS_RESPONSES.split("CREATE TABLE calls")[1].split(";")[0]
    store.execute("CREATE TABLE calls" + calls_ddl)
    ledger.close()
    assert store.rows("SELECT call_id FROM calls") == [{"call_id": "c-1"}]


def test_pending_cache_entries_stay_visible_until_written(store: Store) -> None:
    ledger = Ledger(store, flush_every=10_000, flush_interval_s=3600)
    try:
        ledger.remember(response("h-x", "pending"))
        assert ledger.lookup(["h-x"])["h-x"].text == "pending"
        ledger.flush()
        assert ledger.lookup(["h-x"])["h-x"].text == "pending"
        assert store.rows("SELECT text FROM responses") == [{"text": "pending"}]
    finally:
        ledger.close()


def test_flush_with_nothing_buffered_is_a_no_op(store: Store) -> None:
    ledger = Ledger(store)
    ledger.flush()
    assert store.rows("SELECT count(*) AS n FROM calls") == [{"n": 0}]
    assert store.rows("SELECT count(*) AS n FROM responses") == [{"n": 0}]


def test_remember_lookup_before_and_after_flush(store: Store) -> None:
    ledger = Ledger(store)
    cached = response("h-a", "from the buffer")
    ledger.remember(cached)

    before = ledger.lookup(["h-a", "h-unknown"])
    assert before == {"h-a": cached}
    assert store.rows("SELECT count(*) AS n FROM responses") == [{"n": 0}]

    ledger.flush()
    assert store.rows("SELECT count(*) AS n FROM responses") == [{"n": 1}]
    after = ledger.lookup(["h-a", "h-unknown", "h-a"])
    assert set(after) == {"h-a"}
    got = after["h-a"]
    assert isinstance(got, CachedResponse)
    assert (got.text, got.stop_reason, got.input_tokens, got.output_tokens) == (
        "from the buffer",
        "stop",
        12,
        3,
    )
    assert (got.latency_ms, got.cost_usd, got.simulated) == (42.0, 0.0002, True)
    assert got.created_at == cached.created_at

    # a fresh ledger on the same store (e.g. the next run) sees it too
    assert set(Ledger(store).lookup(["h-a"])) == {"h-a"}


def test_lookup_mixes_buffer_and_database(store: Store) -> None:
    ledger = Ledger(store)
    ledger.remember(response("h-old", "old"))
    ledger.flush()
    ledger.remember(response("h-new", "new"))
    found = ledger.lookup(["h-old", "h-new", "h-none"])
    assert {h: r.text for h, r in found.items()} == {"h-old": "old", "h-new": "new"}


def test_lookup_unknown_or_empty_returns_empty(store: Store) -> None:
    ledger = Ledger(store)
    assert ledger.lookup(["nope", "also-nope"]) == {}
    assert ledger.lookup([]) == {}


def test_remember_same_hash_twice_keeps_first_in_store(store: Store) -> None:
    ledger = Ledger(store)
    ledger.remember(response("h-x", "first"))
    ledger.flush()
    ledger.remember(response("h-x", "second"))
    ledger.flush()
    assert store.rows("SELECT text FROM responses WHERE request_hash = 'h-x'") == [{"text": "first"}]


# --- runs ------------------------------------------------------------------------------------------


def test_start_and_finish_run_round_trip(store: Store) -> None:
    run_id = start_run(store, "compare", {"candidates": ["a", "b"], "n": 3})
    assert run_id.startswith("compare-")
    [row] = store.rows("SELECT * FROM runs")
    assert row["run_id"] == run_id
    assert (row["kind"], row["status"], row["finished_at"], row["summary"]) == (
        "compare",
        "running",
        None,
        None,
    )
    assert row["params"] == '{"candidates":["a","b"],"n":3}'
    assert row["simulated"] is False

    finish_run(store, run_id, "ok", {"pass": True}, simulated=True)
    [row] = store.rows("SELECT * FROM runs")
    assert row["status"] == "ok"
    assert row["summary"] == '{"pass":true}'
    assert row["simulated"] is True
    assert row["finished_at"] is not None
    assert row["finished_at"] >= row["started_at"]


def test_start_run_with_existing_id_resumes(store: Store) -> None:
    run_id = start_run(store, "eval", {"v": 1}, run_id="eval-fixed")
    finish_run(store, run_id, "failed", {}, simulated=False)
    assert start_run(store, "eval", {"v": 2}, run_id="eval-fixed") == "eval-fixed"
    rows = store.rows("SELECT status, params FROM runs")
    assert rows == [{"status": "failed", "params": '{"v":1}'}]  # left untouched


def test_new_run_ids_are_unique() -> None:
    ids = {new_run_id("eval") for _ in range(50)}
    assert len(ids) == 50
    assert all(i.startswith("eval-") for i in ids)


# --- cross-process lock ----------------------------------------------------------------------------


def test_locked_store_raises_then_opens_after_holder_exits(store_path: Path) -> None:
    with open_store(store_path) as s:
        ledger = Ledger(s)
        ledger.record(call("c-before"))
        ledger.remember(response("h-before", "kept"))
        ledger.flush()
        start_run(s, "eval", {}, run_id="run-before")

    with lock_holder(store_path) as holder:
        started = time.monotonic()
        with pytest.raises(StoreLocked) as info:
            open_store(store_path, lock_timeout_s=0.5)
        waited = time.monotonic() - started
        message = str(info.value)
        assert isinstance(info.value, StoreError)
        assert str(store_path) in message
        assert "--store" in message
        assert "PARITYLAB_STORE" in message
        assert f"process {holder.pid}" in message
        assert 0.4 <= waited < 60  # it waited its 0.5 s, then gave up (each try is slow on a loaded machine)
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(timeout=120) == 0

    with open_store(store_path, lock_timeout_s=5) as s:
        assert s.rows("SELECT call_id FROM calls") == [{"call_id": "c-before"}]
        assert s.rows("SELECT run_id FROM runs") == [{"run_id": "run-before"}]
        assert Ledger(s).lookup(["h-before"])["h-before"].text == "kept"
        assert migrate(s) == []


def test_open_store_waits_for_holder_to_release(store_path: Path) -> None:
    with open_store(store_path) as s:
        start_run(s, "eval", {}, run_id="run-before")

    with lock_holder(store_path) as holder:
        # The holder lets go 0.5 s after we start waiting (a fixed sleep in the holder was over before
        # open_store began, on a machine slow to read 'ready').
        assert holder.stdin is not None
        release = threading.Timer(0.5, holder.stdin.close)
        started = time.monotonic()
        release.start()
        with open_store(store_path, lock_timeout_s=60) as s:
            waited = time.monotonic() - started
            assert s.rows("SELECT run_id FROM runs") == [{"run_id": "run-before"}]
        assert 0.2 <= waited < 50  # it really waited, and did not need the whole timeout
        assert holder.wait(timeout=120) == 0


def test_arrow_arrays_from_python_values_keep_every_value() -> None:
    """int64_array / string_array (not pa.array, which imports pandas) build the arrays pa.array would."""
    import numpy as np
    import pyarrow as pa

    texts = ["a", None, "", "caf\u00e9 \U0001f600", "x" * 100_000]
    assert string_array(texts).equals(pa.array(texts, pa.string()))
    assert string_array([]).equals(pa.array([], pa.string()))
    ints = [0, -1, 2**62, 7]
    assert int64_array(ints).equals(pa.array(ints, pa.int64()))
    assert int64_array(np.arange(5, dtype=np.int64)).to_pylist() == [0, 1, 2, 3, 4]
    assert int64_array([]).equals(pa.array([], pa.int64()))
