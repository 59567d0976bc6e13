"""The scan: one SQL statement per chunk of lines classifies every line and reads what sampling needs.

Each line becomes one row of `stage_lines`: skipped (blank, another logger's line), a defect (bad bytes,
not JSON, not an object, not a record of the format) or a record. A record's text is parsed once, by
DuckDB's from_json into a struct of only the fields that decide sampling (id, failure signals); the
seeded rule then says whether the row can be kept at all. Only rows that may be kept (`keep`), defects
and the rare lines needing Python's strict JSON parser (`lax`) keep their text: a row that is certainly
sampled out costs a few small columns, never a copy of its line.

Checks are ordered cheap first: the logging-prefix regex runs only on lines not starting with `{`, and
json_valid / json_type / json_keys (three more parses) only on the rare lines whose struct shows none of
the format's FAST_KEYS.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from paritylab.config_sections import LOGGING_PREFIX
from paritylab.errors import ConfigError
from paritylab.ingest import langfuse, litellm
from paritylab.ingest.formats import (
    CUT_SHORT_REASONS,
    OPENAI_LOG_ID,
    WRAPPER_LOG_ID,
)
from paritylab.ingest.typed import Field, any_problem, field
from paritylab.store.sql import literal, registered

if TYPE_CHECKING:
    import duckdb

    from paritylab.config import IngestConfig

# An object must carry at least one of these keys to be a record of the format at all.
FORMAT_KEYS = {
    "wrapper": ["prompt", "messages", "response", "model"],
    "openai": ["request", "response"],
    "otel": ["resourceSpans"],
    "litellm": ["call_type", "messages", "response", "startTime"],
    "langfuse": ["traceId", "type", "input", "output"],
}
# The format keys the scan's struct reads (short values, or read anyway): a record showing none of them
# (rare) takes the slow path, which looks for every key of FORMAT_KEYS. Reading `prompt` or `response`
# into the struct would copy every prompt once more.
FAST_KEYS = {
    "wrapper": ["model"],
    "openai": ["response"],
    "otel": ["resourceSpans"],
    "litellm": ["call_type"],
    "langfuse": ["type"],
}
# A record of the format that holds nothing to evaluate, by its struct `s`: skipped with this reason.
FORMAT_SKIP = {
    "litellm": litellm.skip_reason("s.call_type", "payload"),
    "langfuse": langfuse.skip_reason("s"),
}
# DuckDB's JSON parser also accepts what JSON does not: a trailing comma, and the literals NaN, Inf and
# Infinity in any case and with a sign (`"cost": nan` from a hand-formatted writer would be a NaN cost).
# A line that may hold one (`lax`, rare) keeps its text for Python's strict parser. A literal follows a
# colon, a comma or an opening bracket: one regex each, as RE2 finds a regex's single first character
# by memchr (one regex for all three took 2 CPU-s per 1M lines, these three 0.75).
_NONFINITE = r"[-+]?(?i:nan|inf)"
LAX_PATTERNS = (r",\s*(?:[}\]]|" + _NONFINITE + ")", r":\s*" + _NONFINITE, r"\[\s*" + _NONFINITE)
# A call stopped by its token limit or a content filter before it said anything is an error (stage.py:
# CUT_SHORT_EMPTY), which only the full parse can tell: a line that names such a stop anywhere is kept
# for it (the full parse's sampling then decides as for any row). `contains` first: a memmem search.
# The wrapper reads its own top-level finish reason in the light parse instead (_wrapper_light): for its
# 1M-line bench that took 2.35 instead of 2.80 CPU-s of scan SQL.
MAY_BE_CUT_SHORT = (
    "(contains(payload, 'reason') AND regexp_matches(payload, "
    f'\'reason"\\s*:\\s*"(?i:{"|".join(CUT_SHORT_REASONS)})"\'))'
)
# The seeded sampling hash in [0, 1): the same for a log id in every batch, so re-ingest samples alike.
HASH_U = "('0x' || left(md5($seed || ':' || log_id), 12))::BIGINT / 281474976710656.0"


def struct_type(keys: dict[str, Any]) -> str:
    """A from_json type reading each key as the type given (raw JSON: typed later, with readable problems),
    or as a struct of the keys a dict gives."""
    return json.dumps(keys)


Light = tuple[dict[str, Any], list[Field], dict[str, str]]


# Feedback, guardrails and latency that do not plainly say success, by their JSON texts (t_feedback,
# t_guardrails, t_latency_ms as a number or NULL): a thumbs-down, a flag, a slow call, or a value the
# full parse may find of the wrong type.
_LOOKS_FAILED = """((t_feedback IS NOT NULL AND t_feedback <> '1')
        OR (t_guardrails IS NOT NULL AND t_guardrails <> '[]')
        OR (s.latency_ms IS NOT NULL AND coalesce(t_latency_ms > $slo, true)))"""


def _wrapper_light() -> Light:
    """A wrapper record's sampling fields are its own top-level keys: their JSON texts in the struct are
    compared as text (a JSON null is SQL NULL there), not typed. `may_fail` keeps every row the full
    parse could find a failure or a type problem in, and some more (a feedback of 1.0, a latency written
    as a string): the full parse samples those again, exactly, so the sample is the same. Typing each
    field (a parse of its text per json_type and per ->>) made the bench's scan SQL 2.23 instead of 1.82
    CPU-s per 1M lines. The log id is exact: it is hashed for sampling and compared for duplicates."""
    keys = ["request_id", "id", "ok", "error", "feedback", "guardrails", "latency_ms", "finish_reason"]
    # the full parse takes `id` only where `request_id` is missing, not null (typed.JsonPaths.first): the
    # struct has SQL NULL for both, so the rare row with a NULL request_id and an id asks the payload
    rid = """CASE WHEN s.request_id IS NOT NULL OR s.id IS NULL THEN s.request_id
        WHEN NOT json_exists(payload, '$.request_id') THEN s.id END"""
    text = "j_request_id::VARCHAR"
    request_id = f"""CASE WHEN starts_with({text}, '"') AND NOT contains({text}, '\\') THEN ({text})[2:-2]
        WHEN json_type(j_request_id) IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
        THEN j_request_id ->> '$' END"""
    columns = f"""{rid} AS j_request_id, {request_id} AS v_request_id, s.ok::VARCHAR AS t_ok,
        s.feedback::VARCHAR AS t_feedback,
        s.guardrails::VARCHAR AS t_guardrails, TRY_CAST(s.latency_ms::VARCHAR AS DOUBLE) AS t_latency_ms,
        s.finish_reason::VARCHAR AS t_finish_reason"""
    quoted = "(" + ", ".join(literal(f'"{reason}"') for reason in CUT_SHORT_REASONS) + ")"
    may_fail = f"""(j_request_id IS NOT NULL AND v_request_id IS NULL)
        OR (t_ok IS NOT NULL AND t_ok <> 'true') OR (t_ok IS NULL AND s.error IS NOT NULL) OR {_LOOKS_FAILED}
        OR lower(t_finish_reason) IN {quoted} OR contains(t_finish_reason, '\\')"""
    exprs = {"columns": columns, "log_id": WRAPPER_LOG_ID, "may_fail": may_fail}
    return dict.fromkeys(keys, "JSON"), [], exprs


def _openai_light() -> Light:
    """As the wrapper's (compared as text, a superset the full parse samples again), with the response
    and metadata read as structs of the keys sampling needs: as JSON, the whole response was written out
    and parsed again for its error and type (300k-line, 614 MB OpenAI log: 2.55 vs 1.81 CPU-s of scan
    SQL). A response that is not an object reads as a struct of NULLs, not NULL: present, as the full
    parse's json_type says."""
    keys: dict[str, Any] = {
        "id": "JSON",
        "error": "JSON",
        "latency_ms": "JSON",
        "response": {"error": "JSON"},
        "metadata": {"feedback": "JSON", "guardrails": "JSON"},
    }
    columns = f"""{field("id", "s.id", "str").value} AS v_id,
        TRY_CAST(s.latency_ms::VARCHAR AS DOUBLE) AS t_latency_ms, s.metadata.feedback::VARCHAR AS t_feedback,
        s.metadata.guardrails::VARCHAR AS t_guardrails"""
    may_fail = f"""(s.id IS NOT NULL AND v_id IS NULL) OR s.error IS NOT NULL
        OR s.response IS NULL OR s.response.error IS NOT NULL OR {_LOOKS_FAILED} OR {MAY_BE_CUT_SHORT}"""
    return keys, [], {"columns": columns, "log_id": OPENAI_LOG_ID, "may_fail": may_fail}


# The same field definitions as the full parses (formats.py), so the sampling decision (log id, failure
# kind, hash) comes out identical; the wrapper's and OpenAI's keep a few more rows, which the full parse
# samples again (_wrapper_light). OTLP exports fan out into spans: they have no light parse.
LIGHT = {
    "wrapper": _wrapper_light,
    "openai": _openai_light,
    "litellm": litellm.light,
    "langfuse": langfuse.light,
}
OTHER_LOGGER = "other logger: "  # the reason of a line another logger wrote: skipped, never a defect
# A JSON log line of a logging library (structlog, python-json-logger): its level and its logger's name.
# One without any key of the format, by another logger than the records', is that logger's line.
JSON_LOG_LEVEL_KEYS = ["level", "levelname", "severity"]
JSON_LOG_LOGGER = "coalesce(payload ->> 'logger', payload ->> 'name', payload ->> 'logger_name')"
# A line with a level and a message but no logger name (structlog's JSONRenderer names none unless told
# to) and none of the format's keys is an application's log line, not a broken record: skipped as this.
JSON_LOG_MESSAGE_KEYS = ["event", "message", "msg"]
UNNAMED = "(no logger name)"


def _classified(fmt: str, keys: dict[str, Any], prefix: str) -> str:
    """Every line with its outcome (skip / defect / record), reason, payload and struct `s`; `prefix` is
    the logging prefix's regex (IngestConfig.logging_prefix)."""
    names = FORMAT_KEYS[fmt]
    format_skip = FORMAT_SKIP.get(fmt, "NULL")
    prefix = literal(prefix)
    any_key = " OR ".join(f's."{k}" IS NOT NULL' for k in FAST_KEYS[fmt])
    slow_defect = f"""CASE WHEN NOT json_valid(payload) THEN 'invalid JSON'
        WHEN json_type(payload) <> 'OBJECT'
          THEN 'JSON value is ' || lower(json_type(payload)) || ', not an object'
        WHEN list_has_any(json_keys(payload), {names!r}::VARCHAR[]) THEN NULL
        WHEN list_has_any(json_keys(payload), {JSON_LOG_LEVEL_KEYS!r}::VARCHAR[])
             AND {JSON_LOG_LOGGER} <> $rec THEN '{OTHER_LOGGER}' || {JSON_LOG_LOGGER}
        WHEN list_has_any(json_keys(payload), {JSON_LOG_LEVEL_KEYS!r}::VARCHAR[])
             AND list_has_any(json_keys(payload), {JSON_LOG_MESSAGE_KEYS!r}::VARCHAR[])
             AND {JSON_LOG_LOGGER} IS NULL THEN '{OTHER_LOGGER}{UNNAMED}'
        ELSE 'not a {fmt} record: none of the keys {", ".join(names)}' END"""
    return f"""
    SELECT position, line, stripped, payload, s,
           CASE WHEN skip_reason IS NOT NULL OR starts_with(defect_reason, '{OTHER_LOGGER}') THEN 'skip'
                WHEN defect_reason IS NOT NULL THEN 'defect' WHEN format_skip IS NOT NULL THEN 'skip'
                ELSE 'record' END AS outcome,
           coalesce(skip_reason, defect_reason, format_skip) AS reason
    FROM (SELECT *, CASE WHEN skip_reason IS NOT NULL THEN NULL WHEN defect IS NOT NULL THEN defect
                         WHEN s IS NOT NULL AND ({any_key}) THEN NULL ELSE {slow_defect} END AS defect_reason,
                 CASE WHEN s IS NOT NULL THEN {format_skip} END AS format_skip
      FROM (SELECT *, CASE WHEN skip_reason IS NULL AND defect IS NULL
                           THEN try(from_json(payload, '{struct_type(keys)}')) END AS s
        FROM (SELECT *, coalesce(stripped, line) AS payload,
                CASE WHEN defect IS NOT NULL THEN NULL
                     WHEN logger <> '' AND logger <> $rec THEN '{OTHER_LOGGER}' || logger
                     WHEN NOT regexp_matches(line, '\\S') THEN 'blank line' END AS skip_reason
          FROM (SELECT *, CASE WHEN logger = $rec THEN regexp_replace(line, {prefix}, '') END
                          AS stripped
            FROM (SELECT position, line, defect,
                         CASE WHEN defect IS NULL AND NOT starts_with(line, '{{')
                              THEN regexp_extract(line, {prefix}, 1) ELSE '' END AS logger
                  FROM chunk_lines)))))"""


def scan_sql(fmt: str, keep_all: bool, prefix: str = LOGGING_PREFIX) -> str:
    """chunk_lines(position, line, defect) -> stage_lines rows; parameters $rec, $slo, $seed, $rate."""
    if fmt in LIGHT:
        light_keys, fields, exprs = LIGHT[fmt]()
        columns, light, failure = _light_sql(fields, exprs)
        typed = f"SELECT *, {columns} FROM ({{rows}})"
        # CASE, not OR: the hash is computed only for rows no failure keeps anyway
        keep = "true" if keep_all else f"CASE WHEN {failure} THEN true ELSE {HASH_U} < $rate END"
    else:
        light_keys, typed = {}, "SELECT * FROM ({rows})"
        light = "NULL::VARCHAR AS log_id"
        keep = "true"
    keys = dict.fromkeys(FAST_KEYS[fmt], "JSON") | light_keys
    rows = typed.replace("{rows}", _classified(fmt, keys, prefix))
    lax = " OR ".join(f"regexp_matches(line, '{pattern}')" for pattern in LAX_PATTERNS)
    # of the light parse only the log id is kept (repeated ids are looked for across the whole file)
    return f"""
    SELECT position, 0::BIGINT AS sub, outcome, reason, keep, lax,
           CASE WHEN outcome = 'defect' OR keep OR lax THEN line END AS raw,
           CASE WHEN keep OR lax THEN stripped END AS stripped, log_id
    FROM (SELECT *, outcome = 'record' AND coalesce({keep}, false) AS keep,
                 outcome = 'record' AND ({lax}) AS lax
          FROM (SELECT *, {light} FROM ({rows})))"""


def _light_sql(fields: list[Field], exprs: dict[str, str]) -> tuple[str, str, str]:
    """The light parse as SQL over the struct `s`: typed columns, then the log id and what sampling
    needs (other columns of the same SELECT), then the failure test (over both). A format either types
    its `fields` as the full parse does, or gives its own `columns` and `may_fail` test (the wrapper and
    OpenAI formats: see _wrapper_light)."""
    if "may_fail" in exprs:
        return exprs["columns"], f"{exprs['log_id']} AS log_id", exprs["may_fail"]
    values = ", ".join(f"{f.value} AS v_{f.name}" for f in fields)
    guardrails, latency = exprs.get("guardrails", "v_guardrails"), exprs.get("latency_ms", "v_latency_ms")
    feedback = exprs.get("feedback", "v_feedback")
    light = f"""{exprs["log_id"]} AS log_id, {exprs["status"]} AS status, {feedback} AS feedback,
        len(coalesce({guardrails}, [])) AS n_guardrails, {latency} AS latency_ms, light_problem"""
    failure = (
        "light_problem OR status = 'error' OR feedback = -1 OR n_guardrails > 0 OR latency_ms > $slo "
        f"OR {MAY_BE_CUT_SHORT}"
    )
    return f"{values}, {any_problem(fields)} AS light_problem", light, failure


def scan_params(cfg: IngestConfig, fmt: str) -> dict[str, Any]:
    params: dict[str, Any] = {"rec": cfg.record_logger}
    if fmt in LIGHT and not keeps_all(cfg):
        params.update(slo=cfg.latency_slo_ms, seed=str(cfg.seed), rate=cfg.sample_rate)
    return params


def keeps_all(cfg: IngestConfig) -> bool:
    """With a fixed count (or rate 1) no row is certainly sampled out before the full parse."""
    return cfg.sample_count is not None or cfg.sample_rate >= 1.0


def scan_chunk(
    con: duckdb.DuckDBPyConnection, chunk: Any, fmt: str, cfg: IngestConfig, *, first: bool
) -> None:
    """Append one Arrow chunk of lines (position, line, defect) to stage_lines."""
    verb = "CREATE OR REPLACE TEMP TABLE stage_lines AS" if first else "INSERT INTO stage_lines BY NAME"
    with registered(con, "chunk_lines", chunk):
        con.execute(f"{verb} {scan_sql(fmt, keeps_all(cfg), cfg.logging_prefix)}", scan_params(cfg, fmt))


def check_logging_prefix(con: duckdb.DuckDBPyConnection, prefix: str) -> None:
    """A configured logging prefix must work in DuckDB's RE2 as well (Python's `re` checked it on load)."""
    import duckdb

    if prefix == LOGGING_PREFIX:
        return
    try:
        con.execute(f"SELECT regexp_extract('', {literal(prefix)}, 1)").fetchall()
    except duckdb.Error as exc:
        raise ConfigError(
            f"[ingest] logging_prefix {prefix!r} is rejected by DuckDB: {exc}",
            hint="rewrite it in the syntax RE2 and Python share (no lookaround, no backreferences)",
        ) from exc
