"""Named, ordered migrations, each applied once and recorded in `_migrations`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paritylab.store.logs_view import logs_view_sql

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

# Contracts between the stages after ingest. Each stage owns its writers; the shapes are fixed here so
# the miner, the evaluator, the parity statistics and the report can be built and tested independently.
M003_EVAL_CASES = """
-- Dataset versions are append-only snapshots: every version lists its cases in full, so a version is
-- reproducible from DuckDB alone and `dataset diff` is a join.
CREATE TABLE dataset_versions (
    dataset        VARCHAR NOT NULL,
    version        INTEGER NOT NULL,
    parent_version INTEGER,
    fingerprint    VARCHAR NOT NULL,       -- datasets.fingerprint.Hasher.hash(ds.data.table)
    n_cases        INTEGER NOT NULL,
    n_added        INTEGER NOT NULL,
    n_removed      INTEGER NOT NULL,
    n_changed      INTEGER NOT NULL,
    path           VARCHAR NOT NULL,       -- save_to_disk folder
    parquet_path   VARCHAR NOT NULL,
    origin         JSON,                   -- how it was made: seed file, mining window, review import
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dataset, version)
);
CREATE TABLE eval_cases (
    dataset         VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    case_id         VARCHAR NOT NULL,      -- stable across versions (hash of the normalised input)
    question        VARCHAR NOT NULL,
    input_messages  JSON,
    context         VARCHAR,               -- retrieved documents, joined; NULL when none were logged
    reference       VARCHAR,               -- NULL until a human (or the golden set) supplies one
    tags            VARCHAR[] NOT NULL,
    failure_kind    VARCHAR,               -- NULL for curated cases
    evidence        JSON,
    origin_log_ids  VARCHAR[] NOT NULL,
    group_size      INTEGER NOT NULL,      -- near-duplicate logs folded into this case
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dataset, version, case_id)
);
-- Human labels imported from review files, for references and judge calibration.
CREATE TABLE human_labels (
    label_id     VARCHAR PRIMARY KEY,      -- hash of (case, candidate, metric, annotator)
    case_id      VARCHAR NOT NULL,
    candidate_id VARCHAR,
    metric       VARCHAR NOT NULL,
    label        VARCHAR,
    score        DOUBLE,
    annotator    VARCHAR,
    source_file  VARCHAR NOT NULL,
    imported_at  TIMESTAMPTZ NOT NULL
);
"""

M004_OUTPUTS_SCORES = """
-- One answer per (run, case, candidate); for online evals the candidate is 'production' and case_id is
-- the log_id of the scored production call.
CREATE TABLE outputs (
    run_id        VARCHAR NOT NULL,
    case_id       VARCHAR NOT NULL,
    candidate_id  VARCHAR NOT NULL,
    candidate     VARCHAR NOT NULL,        -- the config name, for people
    model_name    VARCHAR,
    request_hash  VARCHAR,
    output_text   VARCHAR,                 -- NULL when the call failed
    status        VARCHAR NOT NULL,        -- ok | error
    error_class   VARCHAR,
    error_message VARCHAR,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    cost_usd      DOUBLE NOT NULL DEFAULT 0,
    latency_ms    DOUBLE,
    attempts      INTEGER NOT NULL DEFAULT 0,
    cached        BOOLEAN NOT NULL DEFAULT false,
    simulated     BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, case_id, candidate_id)
);
CREATE TABLE scores (
    run_id       VARCHAR NOT NULL,
    case_id      VARCHAR NOT NULL,
    candidate_id VARCHAR NOT NULL,
    metric       VARCHAR NOT NULL,
    value        DOUBLE,                   -- in [0, 1]; NULL only when status <> 'ok' (never NaN)
    label        VARCHAR,
    rationale    VARCHAR,
    status       VARCHAR NOT NULL,         -- ok | judge_error | skipped
    error        VARCHAR,
    judge        VARCHAR,                  -- model name of the judge, NULL for non-LLM metrics
    simulated    BOOLEAN NOT NULL DEFAULT false,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, case_id, candidate_id, metric)
);
-- Pairwise judge: each pair judged in both orders; an inconsistent pair counts as a tie.
CREATE TABLE pairwise (
    run_id        VARCHAR NOT NULL,
    case_id       VARCHAR NOT NULL,
    baseline_id   VARCHAR NOT NULL,
    candidate_id  VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,
    winner        VARCHAR,                 -- baseline | candidate | tie; NULL on judge_error
    consistent    BOOLEAN,                 -- both orders agreed
    rationale     VARCHAR,
    status        VARCHAR NOT NULL,
    error         VARCHAR,
    judge         VARCHAR,
    simulated     BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, case_id, baseline_id, candidate_id, metric)
);
"""

M005_PARITY = """
-- Per metric (and per tag; tag '' is all cases): the paired comparison of one candidate with the baseline.
CREATE TABLE parity (
    run_id        VARCHAR NOT NULL,
    baseline_id   VARCHAR NOT NULL,
    candidate_id  VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,
    tag           VARCHAR NOT NULL,
    n             INTEGER NOT NULL,        -- paired cases with both scores ok
    baseline_mean DOUBLE,
    candidate_mean DOUBLE,
    delta         DOUBLE,                  -- candidate - baseline
    ci_low        DOUBLE,
    ci_high       DOUBLE,
    margin        DOUBLE NOT NULL,         -- non-inferiority margin (delta >= -margin is parity)
    gated         BOOLEAN NOT NULL,
    verdict       VARCHAR NOT NULL,        -- PASS | FAIL | INCONCLUSIVE
    wins          INTEGER,
    ties          INTEGER,
    losses        INTEGER,
    cases_needed  INTEGER,                 -- when INCONCLUSIVE: estimated total cases to decide
    detail        JSON,
    PRIMARY KEY (run_id, baseline_id, candidate_id, metric, tag)
);
-- Per candidate (baseline included): operational figures of the run.
CREATE TABLE candidate_stats (
    run_id            VARCHAR NOT NULL,
    candidate_id      VARCHAR NOT NULL,
    candidate         VARCHAR NOT NULL,
    model_name        VARCHAR,
    is_baseline       BOOLEAN NOT NULL,
    n_cases           INTEGER NOT NULL,
    n_ok              INTEGER NOT NULL,
    error_rate        DOUBLE NOT NULL,
    cost_usd          DOUBLE NOT NULL,
    cost_per_success_usd DOUBLE,
    latency_p50_ms    DOUBLE,
    latency_p95_ms    DOUBLE,
    judge_failure_rate DOUBLE,
    swap_consistency  DOUBLE,
    simulated         BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, candidate_id)
);
-- The headline: one verdict per challenger, with the sentence a manager reads.
CREATE TABLE verdicts (
    run_id        VARCHAR NOT NULL,
    baseline_id   VARCHAR NOT NULL,
    candidate_id  VARCHAR NOT NULL,
    baseline      VARCHAR NOT NULL,
    candidate     VARCHAR NOT NULL,
    verdict       VARCHAR NOT NULL,        -- PASS | FAIL | INCONCLUSIVE
    reason        VARCHAR NOT NULL,
    cases_needed  INTEGER,
    n_cases       INTEGER NOT NULL,
    dataset       VARCHAR,
    dataset_version INTEGER,
    simulated     BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, candidate_id)
);
"""

M006_REPORTS = """
CREATE TABLE reports (
    run_id     VARCHAR PRIMARY KEY,
    path       VARCHAR NOT NULL,
    json_path  VARCHAR,
    headline   VARCHAR,
    simulated  BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
"""

M007_ONLINE_DAILY = """
-- Online evals: per UTC day, app, model, prompt version and metric. Call figures (n_calls .. latency)
-- cover every logged call of the group that day and repeat on each metric's row; score figures cover
-- the scored sample. The comparison is with the pooled scores of the trailing days.
CREATE TABLE online_daily (
    day             DATE NOT NULL,
    app             VARCHAR NOT NULL,        -- '' when the log did not say
    model           VARCHAR NOT NULL,
    prompt_version  VARCHAR NOT NULL,
    metric          VARCHAR NOT NULL,
    n_calls         INTEGER NOT NULL,
    n_errors        INTEGER NOT NULL,
    error_rate      DOUBLE NOT NULL,
    cost_usd        DOUBLE NOT NULL,
    cost_per_call_usd DOUBLE,
    latency_p50_ms  DOUBLE,
    latency_p95_ms  DOUBLE,
    n_scored        INTEGER NOT NULL,        -- scores with status ok
    n_failed        INTEGER NOT NULL,        -- judge_error scores
    mean            DOUBLE,
    ci_low          DOUBLE,
    ci_high         DOUBLE,
    trailing_n      INTEGER NOT NULL,
    trailing_mean   DOUBLE,
    delta           DOUBLE,                  -- mean - trailing_mean
    delta_ci_low    DOUBLE,
    delta_ci_high   DOUBLE,
    degraded        BOOLEAN NOT NULL,        -- delta_ci_high < -tolerance
    -- degraded | over_cost_per_call | over_daily_cost | over_latency_slo | over_error_rate
    flags           VARCHAR[] NOT NULL,
    settings        JSON NOT NULL,           -- tolerance, confidence, budgets used
    computed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (day, app, model, prompt_version, metric)
);
"""

M008_BATCH_CONTENT_BYTES = """
-- The size of the bytes an ingest read (compressed, for gzip): a file whose size no earlier batch with
-- the same sampling settings had cannot be unchanged, so a re-run need not hash it before reading it.
-- NULL for batches from before this column.
ALTER TABLE ingest_batches ADD COLUMN content_bytes BIGINT;
"""

# The ingest stores log rows in stored_logs; `logs` reads them with the text columns that repeat the
# input (a bare prompt's messages, a tagged prompt's question and context) derived: see logs_view. A store
# runs m009 once: a later change of the view needs a migration of its own (CREATE OR REPLACE VIEW).
M009_LOGS_VIEW = "ALTER TABLE logs RENAME TO stored_logs;\n" + logs_view_sql() + ";"

MIGRATIONS: list[tuple[str, str]] = [
    ("m001_runs_calls_responses", M001_RUNS_CALLS_RESPONSES),
    ("m002_logs_quarantine_batches", M002_LOGS_QUARANTINE_BATCHES),
    ("m003_eval_cases", M003_EVAL_CASES),
    ("m004_outputs_scores", M004_OUTPUTS_SCORES),
    ("m005_parity", M005_PARITY),
    ("m006_reports", M006_REPORTS),
    ("m007_online_daily", M007_ONLINE_DAILY),
    ("m008_batch_content_bytes", M008_BATCH_CONTENT_BYTES),
    ("m009_logs_view", M009_LOGS_VIEW),
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
