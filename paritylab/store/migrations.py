"""Named, ordered migrations, each applied once and recorded in `_migrations`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paritylab.store.db import Store

M001_RUNS_CALLS_RESPONSES = """
CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,
    params      JSON,
    summary     JSON,
    simulated   BOOLEAN NOT NULL DEFAULT false
);
-- The ledger: one row per attempt at a provider, plus one per answer served from the cache.
CREATE TABLE calls (
    call_id       VARCHAR PRIMARY KEY,
    run_id        VARCHAR,
    request_hash  VARCHAR NOT NULL,
    purpose       VARCHAR NOT NULL,
    model_name    VARCHAR NOT NULL,
    provider      VARCHAR NOT NULL,
    model         VARCHAR NOT NULL,
    candidate_id  VARCHAR,
    item_id       VARCHAR,
    attempt       INTEGER NOT NULL,
    fallback_for  VARCHAR,
    status        VARCHAR NOT NULL,
    error_class   VARCHAR,
    error_message VARCHAR,
    http_status   INTEGER,
    retry_after_s DOUBLE,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    cost_usd      DOUBLE NOT NULL DEFAULT 0,
    latency_ms    DOUBLE,
    started_at    TIMESTAMPTZ NOT NULL,
    simulated     BOOLEAN NOT NULL DEFAULT false
);
-- No secondary indexes: DuckDB's zonemaps serve run_id / request_hash filters, and ART indexes would
-- slow every batch insert.
-- The response cache, keyed by the hash of the full request.
CREATE TABLE responses (
    request_hash  VARCHAR PRIMARY KEY,
    provider      VARCHAR NOT NULL,
    model         VARCHAR NOT NULL,
    text          VARCHAR NOT NULL,
    stop_reason   VARCHAR,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    latency_ms    DOUBLE,
    cost_usd      DOUBLE NOT NULL,
    simulated     BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
"""

M002_LOGS_QUARANTINE_BATCHES = """
-- One row per production LLM call that survived sampling and validation (PII already redacted).
CREATE TABLE logs (
    log_id          VARCHAR PRIMARY KEY,   -- the source's id (request id, span id) or a content hash
    ts              TIMESTAMPTZ,
    app             VARCHAR,
    model           VARCHAR,
    prompt_version  VARCHAR,
    input_messages  JSON,                  -- [{"role", "content"}]
    input_text      VARCHAR,               -- the messages flattened
    question        VARCHAR,               -- the end user's question, when it can be told apart
    context         JSON,                  -- retrieved documents, when logged
    output_text     VARCHAR,
    input_tokens    BIGINT,
    output_tokens   BIGINT,
    cost_usd        DOUBLE,
    latency_ms      DOUBLE,
    status          VARCHAR NOT NULL,      -- ok | error
    error           VARCHAR,
    finish_reason   VARCHAR,
    feedback        TINYINT,               -- +1 / -1 / NULL
    guardrail_flags VARCHAR[],
    tags            VARCHAR[],
    kept_because    VARCHAR NOT NULL,      -- failure kind that forced keeping it, or 'sampled'
    source_format   VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    position        BIGINT NOT NULL,       -- line number (and span index) in the source
    batch_id        VARCHAR NOT NULL
);
-- Rows that could not be parsed or failed validation: nothing is dropped silently.
CREATE TABLE quarantine (
    quarantine_id VARCHAR PRIMARY KEY,     -- hash of source content + position: re-ingest adds nothing
    batch_id      VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    position      BIGINT NOT NULL,
    log_id        VARCHAR,
    raw           VARCHAR NOT NULL,        -- bounded, PII-redacted
    reasons       VARCHAR[] NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE TABLE ingest_batches (
    batch_id       VARCHAR PRIMARY KEY,
    source         VARCHAR NOT NULL,
    source_format  VARCHAR NOT NULL,
    content_hash   VARCHAR NOT NULL,
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    -- seen = stored + already_stored + quarantined + sampled_out + skipped
    seen           BIGINT NOT NULL,
    stored         BIGINT NOT NULL,
    already_stored BIGINT NOT NULL,
    quarantined    BIGINT NOT NULL,
    sampled_out    BIGINT NOT NULL,
    skipped        BIGINT NOT NULL,
    skipped_kinds  JSON,                   -- {"blank": n, "logger:httpx": n, ...}
    kept_kinds     JSON,                   -- {"error": n, "negative_feedback": n, "sampled": n, ...}
    redactions     JSON,                   -- {"EMAIL": n, ...}
    sampling       JSON                    -- the sampling settings used
);
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("m001_runs_calls_responses", M001_RUNS_CALLS_RESPONSES),
    ("m002_logs_quarantine_batches", M002_LOGS_QUARANTINE_BATCHES),
]


def migrate(store: Store) -> list[str]:
    """Apply the migrations not yet recorded; return their names."""
    store.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {r["name"] for r in store.rows("SELECT name FROM _migrations")}
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        store.execute("BEGIN TRANSACTION")
        try:
            store.execute(sql)
            store.execute("INSERT INTO _migrations VALUES (?, now())", [name])
            store.execute("COMMIT")
        except Exception:
            store.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def applied_migrations(store: Store) -> list[str]:
    return [r["name"] for r in store.rows("SELECT name FROM _migrations ORDER BY name")]
