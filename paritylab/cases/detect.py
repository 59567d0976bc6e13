"""Failure detection over stored logs: every failing log gets its kinds and the evidence for each.

Kinds, in priority order (a case is labelled with the first kind any of its logs shows):
  provider_error, timeout   the call failed (status 'error'); a timeout is told apart by its message
  guardrail                 a guardrail flagged the call (off_topic, prompt_injection, pii_in_output, ...)
  invalid_output_schema     the app declares a JSON schema for its output and the output breaks it
  refusal                   the answer matches a refusal pattern
  negative_feedback         the user gave a thumbs-down
  low_online_score          an online eval scored the production answer below the threshold
  slow                      latency over the SLO
  truncated                 the answer was cut at max_tokens (finish_reason 'length')
The scan runs in DuckDB; only failing rows (and outputs of apps with a schema) come to Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from paritylab.config import CasesConfig
from paritylab.errors import ConfigError
from paritylab.store.db import Store

KIND_ORDER = (
    "provider_error",
    "timeout",
    "guardrail",
    "invalid_output_schema",
    "refusal",
    "negative_feedback",
    "low_online_score",
    "slow",
    "truncated",
)
LowScore = tuple[str, str, float]  # (log_id, metric, value): an online score of a production answer


@dataclass(frozen=True)
class Window:
    """Logs with start <= ts < end; an open side is unbounded."""

    start: datetime | None = None
    end: datetime | None = None

    def as_json(self) -> dict[str, str | None]:
        return {k: v.isoformat() if v else None for k, v in (("start", self.start), ("end", self.end))}


@dataclass
class FailedLog:
    log_id: str
    ts: datetime | None
    app: str | None
    question: str
    input_messages: str | None
    context: str | None
    output_text: str | None
    kinds: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scan:
    logs_in_window: int
    already_in_cases: int
    without_question: int
    failures: list[FailedLog]


def _window_sql() -> str:
    return """
        CREATE OR REPLACE TEMP TABLE mine_window AS
        SELECT l.* FROM logs l
        WHERE ($start::TIMESTAMPTZ IS NULL OR l.ts >= $start::TIMESTAMPTZ)
          AND ($end::TIMESTAMPTZ IS NULL OR l.ts < $end::TIMESTAMPTZ)"""


_TIMEOUT = r"(?i)time[d -]?out"
_BASE_KINDS = """list_filter([
    CASE WHEN status = 'error' AND NOT regexp_matches(coalesce(error, ''), $timeout)
         THEN 'provider_error' END,
    CASE WHEN status = 'error' AND regexp_matches(coalesce(error, ''), $timeout) THEN 'timeout' END,
    CASE WHEN len(coalesce(guardrail_flags, [])) > 0 THEN 'guardrail' END,
    CASE WHEN log_id IN (SELECT log_id FROM mine_extra WHERE kind = 'invalid_output_schema')
         THEN 'invalid_output_schema' END,
    CASE WHEN status = 'ok' AND regexp_matches(coalesce(output_text, ''), $refusal) THEN 'refusal' END,
    CASE WHEN feedback = -1 THEN 'negative_feedback' END,
    CASE WHEN log_id IN (SELECT log_id FROM mine_extra WHERE kind = 'low_online_score')
         THEN 'low_online_score' END,
    CASE WHEN latency_ms > $slo THEN 'slow' END,
    CASE WHEN finish_reason = 'length' THEN 'truncated' END
], lambda k: k IS NOT NULL)"""


def scan_failures(
    store: Store,
    cfg: CasesConfig,
    slo_ms: float,
    window: Window,
    *,
    exclude_from: tuple[str, int] | None = None,
    low_scores: Sequence[LowScore] = (),
) -> Scan:
    """Failing logs of the window that no case of `exclude_from` (dataset, version) already holds."""
    con = store.con
    con.execute(_window_sql(), {"start": window.start, "end": window.end})
    [(in_window,)] = con.execute("SELECT count(*) FROM mine_window").fetchall()
    already = 0
    if exclude_from is not None:
        [(already,)] = con.execute(
            """SELECT count(*) FROM mine_window WHERE log_id IN (SELECT unnest(origin_log_ids)
               FROM eval_cases WHERE dataset = ? AND version = ?)""",
            list(exclude_from),
        ).fetchall()
        con.execute(
            """DELETE FROM mine_window WHERE log_id IN (SELECT unnest(origin_log_ids)
               FROM eval_cases WHERE dataset = ? AND version = ?)""",
            list(exclude_from),
        )
    extra = _schema_failures(store, cfg) + _low_scores(store, cfg, low_scores)
    _register_extra(store, extra)
    rows = _failing_rows(store, cfg, slo_ms)
    details = {(log_id, kind): detail for log_id, kind, detail in extra}
    failures, no_question = [], 0
    for row in rows:
        if not row["question"]:
            no_question += 1
            continue
        failures.append(_failed_log(row, details, slo_ms))
    return Scan(int(in_window), int(already), no_question, failures)


def _failing_rows(store: Store, cfg: CasesConfig, slo_ms: float) -> list[dict[str, Any]]:
    _check_patterns(store, cfg.refusal_patterns)
    refusal = "|".join(f"(?:{p})" for p in cfg.refusal_patterns) or "a^"
    return store.rows(
        f"""SELECT * FROM (
              SELECT log_id, ts, app, coalesce(nullif(question, ''), input_text) AS question,
                     input_messages::VARCHAR AS input_messages, context::VARCHAR AS context,
                     output_text, error, feedback, guardrail_flags, latency_ms, finish_reason,
                     regexp_extract(coalesce(output_text, ''), $refusal, 0) AS refusal_match,
                     {_BASE_KINDS} AS kinds
              FROM mine_window)
            WHERE len(kinds) > 0 ORDER BY ts NULLS LAST, log_id""",
        {"timeout": _TIMEOUT, "refusal": refusal, "slo": slo_ms},
    )


def _check_patterns(store: Store, patterns: Sequence[str]) -> None:
    """Compile each refusal pattern in DuckDB (RE2) first, so a bad one is named in the error."""
    for pattern in patterns:
        try:
            store.con.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
        except Exception as exc:
            raise ConfigError(
                f"[cases].refusal_patterns entry {pattern!r} is not a valid RE2 regular expression: {exc}",
                hint="fix or remove it (RE2 syntax: no lookaround or backreferences)",
            ) from None


def _failed_log(row: dict[str, Any], details: dict[tuple[str, str], Any], slo_ms: float) -> FailedLog:
    kinds: list[str] = row["kinds"]
    evidence: dict[str, Any] = {}
    for kind in kinds:
        if kind in ("provider_error", "timeout"):
            evidence[kind] = {"error": row["error"]}
        elif kind == "guardrail":
            evidence[kind] = {"flags": list(row["guardrail_flags"])}
        elif kind == "refusal":
            evidence[kind] = {"matched": row["refusal_match"]}
        elif kind == "negative_feedback":
            evidence[kind] = {"feedback": -1}
        elif kind == "slow":
            evidence[kind] = {"latency_ms": row["latency_ms"], "slo_ms": slo_ms}
        elif kind == "truncated":
            evidence[kind] = {"finish_reason": row["finish_reason"]}
        else:
            evidence[kind] = details.get((row["log_id"], kind))
    return FailedLog(
        log_id=row["log_id"],
        ts=row["ts"],
        app=row["app"],
        question=row["question"],
        input_messages=row["input_messages"],
        context=join_context(row["context"]),
        output_text=row["output_text"],
        kinds=kinds,
        evidence=evidence,
    )


def join_context(raw: str | None) -> str | None:
    """Logged documents (a JSON list of strings or objects with text) joined by blank lines."""
    if raw is None:
        return None
    docs = json.loads(raw)
    if not isinstance(docs, list):
        docs = [docs]
    parts = [
        d if isinstance(d, str) else str(d.get("text") or d.get("content") or json.dumps(d)) for d in docs
    ]
    return "\n\n".join(p for p in parts if p) or None


def _schema_failures(store: Store, cfg: CasesConfig) -> list[tuple[str, str, Any]]:
    """Outputs of apps that declare a JSON schema: not JSON, or JSON that breaks the schema."""
    if not cfg.output_schemas:
        return []
    import jsonschema

    out: list[tuple[str, str, Any]] = []
    for app, schema in cfg.output_schemas.items():
        validator = jsonschema.Draft202012Validator(schema)
        rows = store.con.execute(
            "SELECT log_id, output_text FROM mine_window WHERE app = ? AND status = 'ok'", [app]
        ).fetchall()
        for log_id, text in rows:
            problem = _schema_problem(validator, text)
            if problem:
                out.append((log_id, "invalid_output_schema", {"app": app, "error": problem}))
    return out


def _schema_problem(validator: Any, text: str | None) -> str | None:
    try:
        value = json.loads(text or "")
    except json.JSONDecodeError as exc:
        return f"output is not JSON: {exc.msg} (character {exc.pos})"
    error = next(iter(validator.iter_errors(value)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"[:500]


def _low_scores(store: Store, cfg: CasesConfig, given: Sequence[LowScore]) -> list[tuple[str, str, Any]]:
    """Online-eval scores under the threshold: the `scores` rows of candidate 'production' (whose case_id
    is the log_id), plus any the caller passes in. The hook for online evals."""
    stored = store.con.execute(
        """SELECT case_id, metric, value FROM scores
           WHERE candidate_id = 'production' AND status = 'ok' AND value < ?
             AND case_id IN (SELECT log_id FROM mine_window) ORDER BY case_id, metric""",
        [cfg.low_score_threshold],
    ).fetchall()
    merged: dict[str, list[dict[str, Any]]] = {}
    for log_id, metric, value in [*stored, *given]:
        if value < cfg.low_score_threshold:
            merged.setdefault(log_id, []).append({"metric": metric, "value": value})
    threshold = cfg.low_score_threshold
    return [(k, "low_online_score", {"scores": v, "threshold": threshold}) for k, v in merged.items()]


def _register_extra(store: Store, extra: list[tuple[str, str, Any]]) -> None:
    store.con.execute("CREATE OR REPLACE TEMP TABLE mine_extra (log_id VARCHAR, kind VARCHAR)")
    if extra:
        store.con.executemany("INSERT INTO mine_extra VALUES (?, ?)", [(e[0], e[1]) for e in extra])


def primary_kind(kinds: Sequence[str]) -> str:
    """The most important of several kinds (KIND_ORDER)."""
    return min(kinds, key=KIND_ORDER.index)
