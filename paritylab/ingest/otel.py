"""OpenTelemetry GenAI spans (OTLP/JSON, one ExportTraceServiceRequest per line) to LogRecord columns.

Message content is read where the instrumentations put it: the `gen_ai.input.messages` /
`gen_ai.output.messages` attributes (semconv >= 1.37); span events `gen_ai.*.message` / `gen_ai.choice`
(older semconv); one attribute per message field, `gen_ai.prompt.N.role` / `.content` and
`gen_ai.completion.N.*` (OpenLLMetry, Traceloop's SDK); `llm.input_messages.N.message.*` /
`llm.output_messages.N.message.*` (OpenInference: Arize Phoenix; also its model, token counts, cost,
prompt template version and tags). Spans that are not model calls (no gen_ai.operation.name, no
gen_ai.request.model, no OpenInference span kind LLM) are skipped and counted.
"""

from __future__ import annotations

import re

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


def _indexed(attrs: str, prefix: str, field: str) -> str:
    """The attributes `{prefix}.N{field}` (N = 0, 1, ...) as a list of {i: N, n: N as written, k: the key},
    by N (a number: "10" after "2"; a DOUBLE, so no index is too large to order)."""
    pattern = "^" + re.escape(prefix) + r"\.([0-9]+)" + re.escape(field) + "$"
    keys = f"list_filter(map_keys({attrs}), lambda k: regexp_matches(k, '{pattern}'))"
    index = f"regexp_extract(k, '{pattern}', 1)"
    return f"list_sort(list_transform({keys}, lambda k: {{'i': TRY_CAST({index} AS DOUBLE), 'n': {index}, 'k': k}}))"


def _text(value: str) -> str:
    """An attribute's string; a JSON list of content parts in it (multimodal messages: objects with a
    `type`) as their text. Other JSON, a model's answer in JSON say, stays as it is."""
    said = f"({value} ->> 'stringValue')"
    return (
        f"CASE WHEN starts_with({said}, '[') AND json_valid({said}) AND ({said}::JSON -> 0 ->> 'type') IS NOT NULL "
        f"THEN {content_text(f'{said}::JSON')} "
        f"ELSE {said} END"
    )


def _messages_from_flat(attrs: str, prefix: str, role: str, content: str) -> str:
    """Messages recorded one attribute per field (`{prefix}.N{role}`, `{prefix}.N{content}`) as
    [{role, content}] JSON, in N's order; NULL if there are none."""
    listed = _indexed(attrs, prefix, content)
    message = (
        f"json_object('role', {attrs}['{prefix}.' || e.n || '{role}'] ->> 'stringValue', "
        f"'content', {_text(f'{attrs}[e.k]')})"
    )
    return f"CASE WHEN len({listed}) > 0 THEN to_json(list_transform({listed}, lambda e: {message})) END"


def _flat_output(attrs: str, message: str, calls: str, call: str) -> str:
    """The first output message recorded one attribute per field: its content (`{message}.content`), else
    its tool calls (`{message}{calls}.N{call}.name` / `.arguments`) as name(arguments) lines."""
    listed = _indexed(attrs, message + calls, call + ".name")
    named = f"{attrs}[e.k] ->> 'stringValue'"
    arguments = f"{attrs}[replace(e.k, '{call}.name', '{call}.arguments')] ->> 'stringValue'"
    return (
        f"coalesce({_text(f'{attrs}[' + repr(message + '.content') + ']')}, nullif(array_to_string("
        f"list_transform({listed}, lambda e: {named} || '(' || coalesce({arguments}, '') || ')'), chr(10)), ''))"
    )


def _choice_from_events(key: str) -> str:
    choice = (
        "list_filter(TRY_CAST(json_extract(span, '$.events[*]') AS JSON[]), "
        "lambda e: (e ->> 'name') = 'gen_ai.choice')[1]"
    )
    return f"({_attrs(choice)}['{key}'] ->> 'stringValue')"


def _first_int(attrs: str, *keys: str) -> str:
    return "coalesce(" + ", ".join(f"{attrs}['{k}'] -> 'intValue'" for k in keys) + ")"


def otel_sql(source: str) -> str:
    """`source` has (position, sub, raw, payload); output adds `sub` = span index within the line."""
    a = "attrs"
    fields = [
        # the usage names of semconv >= 1.27, before it (and OpenLLMetry), OpenInference
        field(
            "input_tokens",
            _first_int(
                a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"
            ),
            "int_str",
        ),
        field(
            "output_tokens",
            _first_int(
                a,
                "gen_ai.usage.output_tokens",
                "gen_ai.usage.completion_tokens",
                "llm.token_count.completion",
            ),
            "int_str",
        ),
        field("cost", f"{a}['llm.cost.total'] -> 'doubleValue'", "num"),
        field("start", "json_extract(span, '$.startTimeUnixNano')", "int_str"),
        field("end", "json_extract(span, '$.endTimeUnixNano')", "int_str"),
        field("feedback", f"{a}['app.feedback'] -> 'intValue'", "int_str"),
    ]
    values = ",\n    ".join(f"{f.value} AS v_{f.name}" for f in fields)
    out_attr = f"{a}['gen_ai.output.messages'] ->> 'stringValue'"
    out_first = f"TRY_CAST(TRY_CAST({out_attr} AS JSON) AS JSON[])[1]"  # the first choice
    out_parts = f"{out_first} -> 'parts'"
    in_attr = f"{a}['gen_ai.input.messages'] ->> 'stringValue'"
    openllmetry_out = _flat_output(a, "gen_ai.completion.0", ".tool_calls", "")
    openinference_out = _flat_output(a, "llm.output_messages.0.message", ".tool_calls", ".tool_call.function")
    exprs = {
        "log_id": "'otel:' || coalesce(span ->> 'traceId', '') || ':' || coalesce(span ->> 'spanId', "
        "left(sha256(span::VARCHAR), 16))",
        "ts": "to_timestamp(v_start / 1e9)",
        "app": "res['service.name'] ->> 'stringValue'",
        "model": f"coalesce({a}['gen_ai.request.model'], {a}['gen_ai.response.model'], {a}['llm.model_name']) "
        "->> 'stringValue'",
        "prompt_version": f"coalesce({a}['app.prompt_version'], {a}['llm.prompt_template.version']) "
        "->> 'stringValue'",
        "input_messages": f"coalesce({_messages_from_attr(in_attr)}, {_messages_from_events()}, "
        f"{_messages_from_flat(a, 'gen_ai.prompt', '.role', '.content')}, "
        f"{_messages_from_flat(a, 'llm.input_messages', '.message.role', '.message.content')}, "
        # OpenInference's input.value (a prompt, or the request as JSON) where no message says more
        f"CASE WHEN {a}['input.value'] IS NOT NULL THEN to_json([json_object('role', 'user', "
        f"'content', {a}['input.value'] ->> 'stringValue')]) END)",
        "input_text": "NULL",
        "question": "NULL",
        "context": "NULL",
        "output_text": f"coalesce({content_text(out_parts)}, {_choice_from_events('message.content')}, "
        f"{openllmetry_out}, {openinference_out}, {a}['output.value'] ->> 'stringValue')",
        "input_tokens": "v_input_tokens",
        "output_tokens": "v_output_tokens",
        "cost_usd": "v_cost",
        "latency_ms": "(v_end - v_start) / 1e6",
        "status": "CASE WHEN span ->> '$.status.code' IN ('2', 'STATUS_CODE_ERROR') "
        f"OR {a}['error.type'] IS NOT NULL THEN 'error' ELSE 'ok' END",
        "error": f"nullif(concat_ws(': ', {a}['error.type'] ->> 'stringValue', span ->> '$.status.message'), '')",
        "finish_reason": f"coalesce({a}['gen_ai.response.finish_reasons'] ->> '$.arrayValue.values[0].stringValue', "
        f"{out_first} ->> 'finish_reason', {_choice_from_events('finish_reason')}, "
        f"{a}['gen_ai.completion.0.finish_reason'] ->> 'stringValue')",
        "feedback": "v_feedback",
        "guardrail_flags": f"json_extract_string({a}['app.guardrail_flags'], '$.arrayValue.values[*].stringValue')",
        "tags": f"json_extract_string({a}['tag.tags'], '$.arrayValue.values[*].stringValue')",
    }
    canonical = ",\n  ".join(f"{exprs[c]} AS {c}" for c in CANONICAL)
    genai = (
        f"({a}['gen_ai.operation.name'] IS NOT NULL OR {a}['gen_ai.request.model'] IS NOT NULL "
        f"OR coalesce({a}['openinference.span.kind'] ->> 'stringValue' = 'LLM', false))"
    )
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
