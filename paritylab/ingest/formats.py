"""Each log format as SQL: from `records(position, sub, raw, payload)` to the canonical LogRecord columns.

Every mapping yields the same columns (CANONICAL) plus `problems`, a list of type errors that send the
row to quarantine. DuckDB reads every path a format needs with two parses of each payload (the JSON types
and the texts of a path list: typed.JsonPaths); the typed reads then work on small values.
"""

from __future__ import annotations

from paritylab.ingest.typed import Field, JsonPaths, field, problems_list

CANONICAL = [
    "log_id",
    "ts",
    "app",
    "model",
    "prompt_version",
    "input_messages",
    "input_text",
    "question",
    "context",
    "output_text",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "latency_ms",
    "status",
    "error",
    "finish_reason",
    "feedback",
    "guardrail_flags",
    "tags",
]
FORMATS = ("wrapper", "openai", "otel", "litellm", "langfuse")
# Finish reasons of a call stopped before its end: the token limit, a content filter (see stage.py)
CUT_SHORT_REASONS = ("length", "max_tokens", "max_output_tokens", "content_filter", "safety")


# Shared with the scan's light parse (scan.py), so the sampling decision sees the same id and status.
def log_id(fmt: str, source_id: str = "v_id") -> str:
    """A record's log id: its format and the source's own id (`source_id`), else a hash of its text."""
    return f"'{fmt}:' || coalesce({source_id}, left(sha256(payload), 32))"


WRAPPER_LOG_ID = log_id("wrapper", "v_request_id")
WRAPPER_STATUS = "CASE WHEN v_ok = false OR (v_ok IS NULL AND v_error IS NOT NULL) THEN 'error' ELSE 'ok' END"
OPENAI_LOG_ID = log_id("openai")


def openai_status(response_type: str) -> str:
    """A request/response log is a failed call when it has an error (the log's, or the response's own:
    a failed Responses API call, an Anthropic error body) or no response; `response_type` is the
    json_type of its response."""
    return (
        f"CASE WHEN v_error IS NOT NULL OR v_response_error IS NOT NULL OR {response_type} IS NULL "
        f"OR {response_type} = 'NULL' THEN 'error' ELSE 'ok' END"
    )


def select_canonical(paths: JsonPaths, fields: list[Field], exprs: dict[str, str], source: str) -> str:
    """Wrap per-field values into the canonical select; `exprs` may refer to v_<name> columns and to
    `jt` / `jv`, the types and texts of `paths` (complete once the fields and exprs are built)."""
    values = ",\n  ".join(f"{f.value} AS v_{f.name}" for f in fields)
    canonical = ",\n  ".join(f"{exprs[c]} AS {c}" for c in CANONICAL)
    return f"""
SELECT position, sub, raw, {canonical},
  problems
FROM (SELECT position, sub, raw, payload, jt, {values},
        {problems_list(fields)} AS problems
      FROM (SELECT *, {paths.select("payload")} FROM {source}))"""


def call_text(call: str) -> str:
    """A tool call as "name(arguments)": OpenAI's {function: {name, arguments}} or function_call, an
    OTel tool_call part or an Anthropic tool_use block ({name, arguments | input}); NULL if it has no name."""
    fn = f"coalesce(({call}) -> 'function', ({call}))"
    return f"(({fn} ->> 'name') || '(' || coalesce({fn} ->> 'arguments', {fn} ->> 'input', '') || ')')"


def part_text(part: str) -> str:
    """One content part as text: its text (OpenAI, Anthropic: `text`; OTel: `content`), a tool call as
    name(arguments), a tool result as its response or content (Anthropic's: text or a list of blocks),
    anything else (an image) as [its type]."""
    part = f"({part})"  # `x -> 'k' ->> '$'` would apply ->> to 'k'
    inner = f"({part} -> 'content')"
    content = (
        f"CASE json_type({inner}) WHEN 'ARRAY' THEN array_to_string(list_transform(TRY_CAST({inner} AS "
        f"JSON[]), lambda q: coalesce(q ->> 'text', q ->> '$')), chr(10)) ELSE {part} ->> 'content' END"
    )
    return (
        f"CASE WHEN json_type({part}) = 'VARCHAR' THEN {part} ->> '$' ELSE coalesce({part} ->> 'text', "
        f"{content}, {part} ->> 'refusal', {call_text(part)}, {part} ->> 'response', "
        f"'[' || coalesce({part} ->> 'type', 'part') || ']') END"
    )


def content_text(content: str) -> str:
    """A message's content (JSON) as text: a string as it is, a list of parts as their texts."""
    content = f"({content})"
    return (
        f"CASE json_type({content}) WHEN 'VARCHAR' THEN {content} ->> '$' WHEN 'ARRAY' THEN array_to_string("
        f"list_transform(TRY_CAST({content} AS JSON[]), lambda p: {part_text('p')}), chr(10)) "
        f"WHEN 'NULL' THEN NULL ELSE {content}::VARCHAR END"
    )


def tool_calls_text(calls: str) -> str:
    """A message's tool_calls (JSON list) as name(arguments) lines."""
    return (
        f"array_to_string(list_transform(TRY_CAST({calls} AS JSON[]), lambda t: {call_text('t')}), chr(10))"
    )


def message_text(message: str) -> str:
    """What a chat message says: its content, else its refusal, tool calls or (legacy) function call;
    an assistant turn that only calls tools is not empty."""
    content, calls, legacy = (f"({message}) -> '{key}'" for key in ("content", "tool_calls", "function_call"))
    return (
        f"coalesce({content_text(content)}, {message} ->> 'refusal', "
        f"nullif({tool_calls_text(calls)}, ''), {call_text(legacy)})"
    )


def output_items_text(output: str) -> str:
    """A Responses API `output` (JSON list of items) as text: its messages' content and its function calls
    as name(arguments); other items (reasoning, tool runs) say nothing. NULL when nothing is said."""
    said = content_text("o -> 'content'")
    item = f"CASE o ->> 'type' WHEN 'message' THEN {said} WHEN 'function_call' THEN {call_text('o')} END"
    return f"nullif(array_to_string(list_transform(TRY_CAST({output} AS JSON[]), lambda o: {item}), chr(10)), '')"


# What a response (response_fields) says, as text
RESPONSE_TEXT = (
    f"coalesce({message_text('v_message')}, {content_text('v_content')}, {output_items_text('v_output')})"
)


def response_fields(r: JsonPaths, at: str) -> list[Field]:
    """A provider's response at path `at`, read whatever API gave it: its message (Chat Completions), content
    blocks (Anthropic Messages), output items (Responses API) and why it stopped; RESPONSE_TEXT says it."""
    return [
        field("message", r.first(f"{at}.choices[0].message"), "json"),
        field("content", r.first(f"{at}.content"), "json"),
        field("output", r.first(f"{at}.output"), "json"),
        field(
            "finish_reason",
            r.first(
                f"{at}.choices[0].finish_reason",
                f"{at}.stop_reason",
                f"{at}.incomplete_details.reason",
                f"{at}.status",
            ),
            "str",
        ),
    ]


def request_messages(messages: str, system: str) -> str:
    """The request's messages (JSON), in chat form: OpenAI's as they are; Anthropic's with their separate
    `system` first, as a system message; a Responses API `input` string as one user message (and its
    `instructions` as the system message)."""
    listed = (
        f"CASE json_type({messages}) WHEN 'VARCHAR' THEN [json_object('role', 'user', 'content', "
        f"{messages} ->> '$')] ELSE TRY_CAST({messages} AS JSON[]) END"
    )
    system_message = f"json_object('role', 'system', 'content', {content_text(system)})"
    return (
        f"CASE WHEN {system} IS NULL AND json_type({messages}) IS DISTINCT FROM 'VARCHAR' THEN {messages} "
        f"ELSE to_json(CASE WHEN {system} IS NULL THEN {listed} "
        f"ELSE list_prepend({system_message}, coalesce({listed}, [])) END) END"
    )


def flatten_messages(messages: str) -> str:
    """[{"role","content"}] JSON -> "role: content" lines."""
    return (
        f"array_to_string(list_transform(TRY_CAST({messages} AS JSON[]), "
        f"lambda m: (m ->> 'role') || ': ' || coalesce({message_text('m')}, '')), chr(10))"
    )


def wrapper_sql(source: str) -> str:
    r = JsonPaths()
    f = [
        field("request_id", r.first("$.request_id", "$.id"), "str"),
        field("ts", r.first("$.ts", "$.timestamp"), "ts"),
        field("app", r.first("$.app"), "str"),
        field("model", r.first("$.model"), "str"),
        field("prompt_version", r.first("$.prompt_version"), "str"),
        field("prompt", r.first("$.prompt"), "str"),
        field("messages", r.first("$.messages"), "json"),
        field("question", r.first("$.question"), "str"),
        field("context", r.first("$.context"), "json"),
        field("response", r.first("$.response"), "str"),
        field("input_tokens", r.first("$.input_tokens"), "int"),
        field("output_tokens", r.first("$.output_tokens"), "int"),
        field("est_cost_usd", r.first("$.est_cost_usd", "$.cost_usd"), "num"),
        field("latency_ms", r.first("$.latency_ms"), "num"),
        field("ok", r.first("$.ok"), "bool"),
        field("error", r.first("$.error"), "text"),
        field("feedback", r.first("$.feedback"), "int"),
        field("guardrails", r.first("$.guardrails"), "strlist"),
        field("tags", r.first("$.tags"), "strlist"),
        field("finish_reason", r.first("$.finish_reason"), "str"),
    ]
    exprs = {
        "log_id": WRAPPER_LOG_ID,
        "ts": "v_ts",
        "app": "v_app",
        "model": "v_model",
        "prompt_version": "v_prompt_version",
        # a bare prompt's messages are derived when read, from the redacted prompt (store.logs_view)
        "input_messages": "v_messages",
        "input_text": f"coalesce(v_prompt, {flatten_messages('v_messages')})",
        "question": "v_question",
        "context": "v_context",
        "output_text": "v_response",
        "input_tokens": "v_input_tokens",
        "output_tokens": "v_output_tokens",
        "cost_usd": "v_est_cost_usd",
        "latency_ms": "v_latency_ms",
        "status": WRAPPER_STATUS,
        "error": "v_error",
        "finish_reason": "v_finish_reason",
        "feedback": "v_feedback",
        "guardrail_flags": "v_guardrails",
        "tags": "v_tags",
    }
    return select_canonical(r, f, exprs, source)


def openai_sql(source: str) -> str:
    r = JsonPaths()
    f = [
        field("id", r.first("$.id"), "str"),
        field("created_at", r.first("$.created_at"), "ts"),
        field("model", r.first("$.request.model", "$.response.model"), "str"),
        # Chat Completions; Anthropic Messages: system apart, content blocks; Responses API: input, output
        field("messages", r.first("$.request.messages", "$.request.input"), "json"),
        field("system", r.first("$.request.system", "$.request.instructions"), "json"),
        *response_fields(r, "$.response"),
        field(
            "prompt_tokens", r.first("$.response.usage.prompt_tokens", "$.response.usage.input_tokens"), "int"
        ),
        field(
            "completion_tokens",
            r.first("$.response.usage.completion_tokens", "$.response.usage.output_tokens"),
            "int",
        ),
        field("latency_ms", r.first("$.latency_ms"), "num"),
        field("error", r.first("$.error"), "text"),
        field("response_error", r.first("$.response.error"), "text"),
        field("app", r.first("$.metadata.app"), "str"),
        field("prompt_version", r.first("$.metadata.prompt_version"), "str"),
        field("feedback", r.first("$.metadata.feedback"), "int"),
        field("guardrails", r.first("$.metadata.guardrails"), "strlist"),
        field("tags", r.first("$.metadata.tags"), "strlist"),
        field("cost_usd", r.first("$.metadata.cost_usd"), "num"),
    ]
    exprs = {
        "log_id": OPENAI_LOG_ID,
        "ts": "v_created_at",
        "app": "v_app",
        "model": "v_model",
        "prompt_version": "v_prompt_version",
        "input_messages": request_messages("v_messages", "v_system"),
        "input_text": flatten_messages(request_messages("v_messages", "v_system")),
        "question": "NULL",
        "context": "NULL",
        "output_text": RESPONSE_TEXT,
        "input_tokens": "v_prompt_tokens",
        "output_tokens": "v_completion_tokens",
        "cost_usd": "v_cost_usd",
        "latency_ms": "v_latency_ms",
        "status": openai_status(r.first("$.response").type),
        "error": "coalesce(v_error, v_response_error)",
        "finish_reason": "v_finish_reason",
        "feedback": "v_feedback",
        "guardrail_flags": "v_guardrails",
        "tags": "v_tags",
    }
    return select_canonical(r, f, exprs, source)
