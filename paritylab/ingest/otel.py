"""OpenTelemetry GenAI spans (OTLP/JSON, one ExportTraceServiceRequest per line) to LogRecord columns.

Both conventions are read: message content in the `gen_ai.input.messages` / `gen_ai.output.messages`
attributes (semconv >= 1.37), or in span events `gen_ai.*.message` / `gen_ai.choice` (older). Spans
that are not GenAI calls (no gen_ai.operation.name and no gen_ai.request.model) are skipped and counted.
"""

from __future__ import annotations

from paritylab.ingest.formats import CANONICAL, content_text
from paritylab.ingest.typed import field, problems_list


def _attrs(expr: str) -> str:
    """An OTLP attribute list as MAP(key -> value object)."""
    return (
        f"map_from_entries(list_transform(TRY_CAST(json_extract({expr}, '$.attributes[*]') AS JSON[]), "
        "lambda a: {'k': a ->> 'key', 'v': a -> 'value'}))"
    )


def _messages_from_attr(attr: str) -> str:
    """gen_ai.*.messages (a JSON string of [{role, parts:[{type, content}]}]) -> [{role, content}]."""
    text = content_text("m -> 'parts'")  # text parts, tool calls as name(arguments), results
    return (
        f"to_json(list_transform(TRY_CAST(TRY_CAST({attr} AS JSON) AS JSON[]), "
        f"lambda m: json_object('role', m ->> 'role', 'content', {text})))"
    )


def _messages_from_events() -> str:
    events = (
        "list_filter(TRY_CAST(json_extract(span, '$.events[*]') AS JSON[]), "
        "lambda e: (e ->> 'name') IN ('gen_ai.system.message', 'gen_ai.user.message', "
        "'gen_ai.assistant.message'))"
    )
    content = f"{_attrs('e')}['content'] ->> 'stringValue'"
    return (
        f"CASE WHEN len({events}) > 0 THEN to_json(list_transform({events}, lambda e: json_object("
        f"'role', replace(replace(e ->> 'name', 'gen_ai.', ''), '.message', ''), 'content', {content}))) END"
    )


def _choice_from_events(key: str) -> str:
    choice = (
        "list_filter(TRY_CAST(json_extract(span, '$.events[*]') AS JSON[]), "
        "lambda e: (e ->> 'name') = 'gen_ai.choice')[1]"
    )
    return f"({_attrs(choice)}['{key}'] ->> 'stringValue')"


def otel_sql(source: str) -> str:
    """`source` has (position, sub, raw, payload); output adds `sub` = span index within the line."""
    a = "attrs"
    fields = [
        field("input_tokens", f"{a}['gen_ai.usage.input_tokens'] -> 'intValue'", "int_str"),
        field("output_tokens", f"{a}['gen_ai.usage.output_tokens'] -> 'intValue'", "int_str"),
        field("start", "json_extract(span, '$.startTimeUnixNano')", "int_str"),
        field("end", "json_extract(span, '$.endTimeUnixNano')", "int_str"),
        field("feedback", f"{a}['app.feedback'] -> 'intValue'", "int_str"),
    ]
    values = ",\n    ".join(f"{f.value} AS v_{f.name}" for f in fields)
    out_attr = f"{a}['gen_ai.output.messages'] ->> 'stringValue'"
    out_first = f"TRY_CAST(TRY_CAST({out_attr} AS JSON) AS JSON[])[1]"  # the first choice
    out_parts = f"{out_first} -> 'parts'"
    in_attr = f"{a}['gen_ai.input.messages'] ->> 'stringValue'"
    exprs = {
        "log_id": "'otel:' || coalesce(span ->> 'traceId', '') || ':' || coalesce(span ->> 'spanId', "
        "left(sha256(span::VARCHAR), 16))",
        "ts": "to_timestamp(v_start / 1e9)",
        "app": "res['service.name'] ->> 'stringValue'",
        "model": f"coalesce({a}['gen_ai.request.model'], {a}['gen_ai.response.model']) ->> 'stringValue'",
        "prompt_version": f"{a}['app.prompt_version'] ->> 'stringValue'",
        "input_messages": f"coalesce({_messages_from_attr(in_attr)}, {_messages_from_events()})",
        "input_text": "NULL",
        "question": "NULL",
        "context": "NULL",
        "output_text": f"coalesce({content_text(out_parts)}, {_choice_from_events('message.content')})",
        "input_tokens": "v_input_tokens",
        "output_tokens": "v_output_tokens",
        "cost_usd": "NULL",
        "latency_ms": "(v_end - v_start) / 1e6",
        "status": "CASE WHEN span ->> '$.status.code' IN ('2', 'STATUS_CODE_ERROR') "
        f"OR {a}['error.type'] IS NOT NULL THEN 'error' ELSE 'ok' END",
        "error": f"nullif(concat_ws(': ', {a}['error.type'] ->> 'stringValue', span ->> '$.status.message'), '')",
        "finish_reason": f"coalesce({a}['gen_ai.response.finish_reasons'] ->> '$.arrayValue.values[0].stringValue', "
        f"{out_first} ->> 'finish_reason', {_choice_from_events('finish_reason')})",
        "feedback": "v_feedback",
        "guardrail_flags": f"json_extract_string({a}['app.guardrail_flags'], '$.arrayValue.values[*].stringValue')",
        "tags": "NULL",
    }
    canonical = ",\n  ".join(f"{exprs[c]} AS {c}" for c in CANONICAL)
    genai = f"({a}['gen_ai.operation.name'] IS NOT NULL OR {a}['gen_ai.request.model'] IS NOT NULL)"
    return f"""
WITH resources AS (
  SELECT position, raw, unnest(rs_list) AS rs, unnest(generate_series(1, len(rs_list))) AS ri
  FROM (SELECT position, raw, TRY_CAST(json_extract(payload, '$.resourceSpans[*]') AS JSON[]) AS rs_list
        FROM {source})),
spans AS (
  SELECT position, raw, ri, {_attrs("rs -> 'resource'")} AS res,
         unnest(sp_list) AS span, unnest(generate_series(1, len(sp_list))) AS si
  FROM (SELECT *, TRY_CAST(json_extract(rs, '$.scopeSpans[*].spans[*]') AS JSON[]) AS sp_list FROM resources)),
typed AS (
  SELECT position, ri * 100000 + si AS sub, span::VARCHAR AS raw, span, res, attrs, {values},
    {problems_list(fields)} AS problems, {genai} AS is_genai
  FROM (SELECT *, {_attrs("span")} AS attrs FROM spans))
SELECT position, sub, raw, {canonical}, problems, is_genai FROM typed"""
