"""The call ledger and the response cache: buffered writes, batched lookups.

Rows are buffered and written in Arrow batches because one INSERT per call would cost more than the
call itself at hundreds of calls per second. Keys make every write idempotent (INSERT OR IGNORE), so a
rerun after a crash adds nothing twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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
    """Buffers ledger rows and cache entries for one store and writes them in batches."""

    def __init__(self, store: Store, flush_every: int = 256) -> None:
        self.store = store
        self.flush_every = flush_every
        self._calls: list[dict[str, Any]] = []
        self._responses: dict[str, CachedResponse] = {}

    def record(self, rec: CallRecord) -> None:
        self._calls.append(asdict(rec))
        if len(self._calls) >= self.flush_every:
            self.flush()

    def remember(self, response: CachedResponse) -> None:
        self._responses[response.request_hash] = response
        if len(self._responses) >= self.flush_every:
            self.flush()

    def lookup(self, hashes: list[str]) -> dict[str, CachedResponse]:
        """Cached responses for the given request hashes (one query for the whole batch)."""
        found = {h: self._responses[h] for h in hashes if h in self._responses}
        wanted = [h for h in dict.fromkeys(hashes) if h not in found]
        if wanted:
            rows = self.store.rows(
                "SELECT * FROM responses WHERE request_hash IN (SELECT unnest(?::VARCHAR[]))", [wanted]
            )
            found.update({r["request_hash"]: CachedResponse(**r) for r in rows})
        return found

    def flush(self) -> None:
        if self._calls:
            _insert_ignore(self.store, "calls", self._calls)
            self._calls = []
        if self._responses:
            _insert_ignore(self.store, "responses", [asdict(r) for r in self._responses.values()])
            self._responses = {}


def _insert_ignore(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa

    batch = pa.Table.from_pylist(rows)
    view = f"_paritylab_{table}_batch"
    store.con.register(view, batch)
    try:
        store.execute(f"INSERT OR IGNORE INTO {table} BY NAME SELECT * FROM {view}")
    finally:
        store.con.unregister(view)
