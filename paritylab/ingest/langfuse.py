"""Langfuse observations (what its batch export writes as JSONL, and its public API returns: one JSON
object per observation) to LogRecord columns: the GENERATION observations are the model calls.

What an observation says, as Langfuse serializes it: camelCase keys; `startTime` / `endTime` as ISO
timestamps (latency is end - start: the `latency` field is milliseconds in some versions, seconds in
others); `level` "ERROR" with a `statusMessage` for a failed call; `input` the messages list (or
`{"messages": [...], "tools": ...}`, or a prompt string) and `output` the assistant message
(`{"role", "content", "tool_calls"}`) or a string (streamed calls), as its OpenAI integration logs them;
token counts in `usageDetails` (the API's older `usage`, the export's `inputUsage` / `outputUsage`) and
cost in `costDetails.total` (`totalCost`, `calculatedTotalCost`). The app is the trace's name
(`traceName`, exports only) unless the metadata names one; the prompt version is Langfuse's managed
prompt (`promptName@promptVersion`), else the observation's `version`. Other observation types (spans,
events, agents, tools, retrievers) are skipped and counted by type, as are traces and scores (from a
folder that holds those exports too). Scores (user feedback) are not read: Langfuse exports them per
score name, names being the project's own.
"""

from __future__ import annotations

from paritylab.ingest.formats import (
    flatten_messages,
    log_id,
    message_text,
    request_messages,
    select_canonical,
)
from paritylab.ingest.typed import Field, JsonPaths, field, string_or_null

LANGFUSE_LOG_ID = log_id("langfuse")
LANGFUSE_STATUS = "CASE WHEN upper(v_level) = 'ERROR' THEN 'error' ELSE 'ok' END"
LANGFUSE_LATENCY = "(epoch_us(v_endTime) - epoch_us(v_startTime)) / 1000"


def skip_reason(s: str) -> str:
    """The skip reason of a record of an observations file (`s`: its light struct) that is not a model
    call: an observation of another type; a trace or a score, which have no `type` and no `startTime` but
    a `timestamp` (a scores export has a `traceId`, a traces export none), when a folder mixes exports."""
    name = f"({s}.type ->> '$')"
    other = f'{s}.type IS NULL AND {s}."startTime" IS NULL AND {s}.timestamp IS NOT NULL'
    return (
        f"CASE WHEN json_type({s}.type) = 'VARCHAR' AND upper({name}) <> 'GENERATION' "
        f"THEN 'Langfuse ' || left({name}, 60) || ' observation (not a model call)' "  # a kind: bounded
        f"WHEN {other} AND {s}.\"traceId\" IS NULL THEN 'Langfuse trace (its generations are the calls)' "
        f"WHEN {other} THEN 'Langfuse score (scores are not read)' END"
    )


def light() -> tuple[dict[str, str], list[Field], dict[str, str]]:
    """The scan's light parse (scan.LIGHT): the same log id, status and latency as the full parse."""
    keys = ["id", "level", "startTime", "endTime", "type", "traceId", "timestamp"]
    fields = [
        field("id", "s.id", "str"),
        field("level", "s.level", "str"),
        field("startTime", 's."startTime"', "ts"),
        field("endTime", 's."endTime"', "ts"),
    ]
    exprs = {
        "log_id": LANGFUSE_LOG_ID,
        "status": LANGFUSE_STATUS,
        "latency_ms": LANGFUSE_LATENCY,
        "feedback": "NULL::INTEGER",
        "guardrails": "NULL::VARCHAR[]",
    }
    return dict.fromkeys(keys, "JSON"), fields, exprs


def langfuse_sql(source: str) -> str:
    r = JsonPaths()
    said = r.first("$.output")
    f = [
        field("id", r.first("$.id"), "str"),
        field("startTime", r.first("$.startTime"), "ts"),
        field("endTime", r.first("$.endTime"), "ts"),
        field("level", r.first("$.level"), "str"),
        field("statusMessage", r.first("$.statusMessage"), "text"),
        field("model", r.first("$.model"), "str"),
        field("app", r.first("$.metadata.app", "$.traceName"), "str"),
        field("promptName", r.first("$.promptName"), "str"),
        field("promptVersion", r.first("$.promptVersion"), "str"),
        field("version", r.first("$.version"), "str"),
        field("messages", r.first("$.input.messages", "$.input"), "json"),
        field("output", said, "json"),
        string_or_null("output_string", said),
        field("input_tokens", r.first("$.usageDetails.input", "$.inputUsage", "$.usage.input"), "int"),
        field("output_tokens", r.first("$.usageDetails.output", "$.outputUsage", "$.usage.output"), "int"),
        field("cost", r.first("$.costDetails.total", "$.totalCost", "$.calculatedTotalCost"), "num"),
        field("finish_reason", r.first("$.output.finish_reason"), "str"),
        field("traceTags", r.first("$.traceTags"), "strlist"),
    ]
    messages = request_messages("v_messages", "NULL::JSON")
    exprs = {
        "log_id": LANGFUSE_LOG_ID,
        "ts": "v_startTime",
        "app": "v_app",
        "model": "v_model",
        "prompt_version": "coalesce(v_promptName || '@' || v_promptVersion, v_version)",
        "input_messages": messages,
        # an input that is neither messages nor a prompt (a traced function's arguments): as JSON text
        "input_text": f"coalesce({flatten_messages(messages)}, "
        "CASE WHEN json_type(v_messages) = 'OBJECT' THEN v_messages::VARCHAR END)",
        "question": "NULL",
        "context": "NULL",
        "output_text": f"coalesce(v_output_string, CASE WHEN json_type(v_output) = 'OBJECT' "
        f"THEN {message_text('v_output')} END)",
        "input_tokens": "v_input_tokens",
        "output_tokens": "v_output_tokens",
        "cost_usd": "v_cost",
        "latency_ms": LANGFUSE_LATENCY,
        "status": LANGFUSE_STATUS,
        "error": f"CASE WHEN {LANGFUSE_STATUS} = 'error' THEN coalesce(v_statusMessage, 'ERROR') END",
        "finish_reason": "v_finish_reason",
        "feedback": "NULL",
        "guardrail_flags": "NULL",
        "tags": "v_traceTags",
    }
    return select_canonical(r, f, exprs, source)
