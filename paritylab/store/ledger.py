"""The call ledger and the response cache: buffered writes, batched lookups.

Rows are buffered and written in Arrow batches because one INSERT per call would cost more than the
call itself at hundreds of calls per second. Keys make every write idempotent (INSERT OR IGNORE), so a
rerun after a crash adds nothing twice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from paritylab.errors import StoreError
from paritylab.store.sql import insert_ignore

if TYPE_CHECKING:
    from paritylab.store.db import Store


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CallRecord:
    """One ledger row: an attempt at a provider, or an answer served from the cache."""

    call_id: str
    run_id: str | None
    request_hash: str
    purpose: str
    model_name: str
    provider: str
    model: str
    candidate_id: str | None
    item_id: str | None
    attempt: int
    status: str  # ok | error | cache_hit
    started_at: datetime
    fallback_for: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    http_status: int | None = None
    retry_after_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float = 0.0
    latency_ms: float | None = None
    simulated: bool = False


@dataclass(frozen=True)
class CachedResponse:
    request_hash: str
    provider: str
    model: str
    text: str
    stop_reason: str | None
    input_tokens: int
    output_tokens: int
    latency_ms: float | None
    cost_usd: float
    simulated: bool
    created_at: datetime = field(default_factory=utcnow)


class Ledger:
    """Buffers ledger rows and cache entries and writes them in batches from a background thread.

    The event loop only appends to lists: a DuckDB batch insert (~7 ms) on the loop would stall every
    call in flight. `flush()` writes everything pending synchronously; `close()` also stops the writer.
    Rows of a batch that fails to write are kept in memory; the next flush() or close() retries them
    and raises StoreError if they still cannot be written.
    """

    def __init__(self, store: Store, flush_every: int = 256, flush_interval_s: float = 1.0) -> None:
        self.store = store
        self.flush_every = flush_every
        self.flush_interval_s = flush_interval_s
        self._lock = threading.Lock()  # guards the buffers
        self._write_lock = threading.Lock()  # one batch insert at a time
        self._calls: list[dict[str, Any]] = []
        self._responses: dict[str, CachedResponse] = {}
        self._writing: dict[str, CachedResponse] = {}  # taken from the buffer, not yet committed
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.background_failures = 0  # batches the writer thread could not write (kept and retried)

    def record(self, rec: CallRecord) -> None:
        with self._lock:
            self._calls.append(dict(vars(rec)))  # dataclasses.asdict deep-copies: 10x slower per row
            full = len(self._calls) >= self.flush_every
        self._nudge(full)

    def remember(self, response: CachedResponse) -> None:
        with self._lock:
            self._responses[response.request_hash] = response
            full = len(self._responses) >= self.flush_every
        self._nudge(full)

    def lookup(self, hashes: list[str]) -> dict[str, CachedResponse]:
        """Cached responses for the given request hashes (one query for the whole batch)."""
        with self._lock:
            pending = {**self._writing, **self._responses}
        found = {h: pending[h] for h in hashes if h in pending}
        wanted = [h for h in dict.fromkeys(hashes) if h not in found]
        if wanted:
            rows = self.store.rows(
                "SELECT * FROM responses WHERE request_hash IN (SELECT unnest(?::VARCHAR[]))", [wanted]
            )
            found.update({r["request_hash"]: CachedResponse(**r) for r in rows})
        return found

    def flush(self) -> None:
        """Write everything recorded so far. Rows of a failed batch were kept and are retried here;
        if they still cannot be written, StoreError is raised."""
        self._write_pending()

    def close(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()

    def _nudge(self, full: bool) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._writer, name="paritylab-ledger", daemon=True)
            self._thread.start()
        if full:
            self._wake.set()

    def _writer(self) -> None:
        while not self._stopping:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            try:
                self._write_pending()
            except StoreError:  # the rows are kept: the owner's next flush() retries them and raises
                self.background_failures += 1

    def _write_pending(self) -> None:
        with self._write_lock:
            with self._lock:
                calls, self._calls = self._calls, []
                self._writing, self._responses = {**self._writing, **self._responses}, {}
                responses = list(self._writing.values())
            try:
                self._insert(calls, responses)
            except Exception as exc:
                with self._lock:  # keep the rows: a later flush may succeed, and nothing is silently lost
                    self._calls[:0] = calls
                    self._responses = {**self._writing, **self._responses}
                    self._writing = {}
                raise StoreError(
                    f"writing the call ledger to {self.store.path} failed: {exc}",
                    hint="check the disk and that no other process rewrote the store (rows stay in memory)",
                ) from exc
            with self._lock:
                self._writing = {}

    def _insert(self, calls: list[dict[str, Any]], responses: list[CachedResponse]) -> None:
        cursor = self.store.con.cursor()  # a thread must not share the owner's connection object
        try:
            insert_ignore(cursor, "calls", calls)
            insert_ignore(cursor, "responses", [dict(vars(r)) for r in responses])
        finally:
            cursor.close()


class MemoryLedger(Ledger):
    """A ledger without a store, for a process that must not open it (a Dask worker: DuckDB has one
    writing process). Lookups see `cached` (read from the store by its writer beforehand) and what this
    ledger remembered; the rows stay in `calls` and `responses` for the writer (`write_records`)."""

    def __init__(self, cached: Mapping[str, CachedResponse] | None = None) -> None:  # no store, no thread
        self._cached = dict(cached or {})
        self.calls: list[CallRecord] = []
        self.responses: list[CachedResponse] = []

    def record(self, rec: CallRecord) -> None:
        self.calls.append(rec)

    def remember(self, response: CachedResponse) -> None:
        self._cached[response.request_hash] = response
        self.responses.append(response)

    def lookup(self, hashes: list[str]) -> dict[str, CachedResponse]:
        return {h: self._cached[h] for h in hashes if h in self._cached}

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def write_records(store: Store, calls: list[CallRecord], responses: list[CachedResponse]) -> None:
    """Write ledger rows and cache entries gathered elsewhere (a MemoryLedger), idempotently."""
    insert_ignore(store.con, "calls", [dict(vars(c)) for c in calls])
    insert_ignore(store.con, "responses", [dict(vars(r)) for r in responses])
