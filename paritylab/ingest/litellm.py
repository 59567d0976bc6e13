"""LiteLLM's StandardLoggingPayload (what its proxy and SDK callbacks log for every call, as its S3 / GCS
bucket loggers and custom callbacks write it: one JSON object per call) to LogRecord columns.

What the payload says, as LiteLLM builds it: `startTime` / `endTime` are epoch seconds (floats);
`response_time` is seconds, but only the time to the first token when streaming, so latency is
end - start; `status` is "success" or "failure", a failure carrying `error_str` and an empty `response`;
`error_information` is filled on success too, with empty strings; `response` is the provider's response
as a dict (chat: choices[0].message; text completion: choices[0].text; Responses API: output items;
Anthropic: content blocks), a string, or `{"text": ...}` once LiteLLM redacted it;
`guardrail_information` is a list (a single object in older versions) whose `guardrail_status`
"guardrail_intervened" (older: "blocked") means the guardrail blocked or changed the call.

LiteLLM has no app, prompt version or feedback of its own: they are read from the request's metadata
(`metadata.requester_metadata`, what the client sent), as the openai format reads its `metadata`; the
app falls back to the virtual key's alias, then its team's. Calls that generate no text (embeddings,
images, audio, moderation, rerank, files, batches) are skipped and counted by call type.
"""

from __future__ import annotations

from paritylab.ingest.formats import (
    RESPONSE_TEXT,
    flatten_messages,
    log_id,
    request_messages,
    response_fields,
    select_canonical,
)
from paritylab.ingest.typed import Field, JsonPaths, field, string_or_null

LITELLM_LOG_ID = log_id("litellm")
LITELLM_STATUS = (
    "CASE WHEN v_status = 'failure' OR (v_status IS NULL AND nullif(v_error_str, '') IS NOT NULL) "
    "THEN 'error' ELSE 'ok' END"
)
# end - start covers the whole call; response_time (the time to the first token when streaming) only
# where a payload has no end time
LITELLM_LATENCY = "coalesce((epoch_us(v_endTime) - epoch_us(v_startTime)) / 1000, v_response_time * 1000)"
# LiteLLM's call types that generate text (CallTypes): the others are skipped, named by their call type
GENERATION_CALLS = (
    "completion", "acompletion", "text_completion", "atext_completion", "responses", "aresponses",
    "anthropic_messages", "generate_content", "agenerate_content", "generate_content_stream",
    "agenerate_content_stream", "pass_through_endpoint",
)  # fmt: skip
GUARDRAIL_HIT = "('guardrail_intervened', 'blocked')"
# What LiteLLM puts in place of the messages when message logging is off (older versions: a sentence)
REDACTED, REDACTED_BEFORE = "redacted-by-litellm", "redacted by litellm."
REDACTED_SKIP = "LiteLLM payload with its messages redacted (turn_off_message_logging)"


def skip_reason(call_type: str, payload: str) -> str:
    """Why a payload holds nothing to evaluate (NULL for the others): its `call_type` (JSON) generates no
    text, or LiteLLM redacted its messages (turn_off_message_logging: no input, no output). The payload's
    text is searched before its first message is parsed: a cheap test that nearly every line fails."""
    name = f"({call_type} ->> '$')"
    first = f"json_extract_string({payload}, '$.messages[0].content')"
    return (
        f"CASE WHEN json_type({call_type}) = 'VARCHAR' AND {name} NOT IN {GENERATION_CALLS!r} "
        f"THEN 'LiteLLM ' || left({name}, 60) || ' call (no text generated)' "  # a kind: bounded
        f"WHEN contains({payload}, 'redacted') AND ({first} = '{REDACTED}' OR starts_with({first}, "
        f"'{REDACTED_BEFORE}')) THEN '{REDACTED_SKIP}' END"
    )


def guardrail_flags(information: str, status_fields: str) -> str:
    """The names of the guardrails that intervened (`information`: guardrail_information as JSON, a list
    or one object); ['guardrail'] if only the overall status says one did; NULL if none did."""
    entries = (
        f"CASE json_type({information}) WHEN 'ARRAY' THEN TRY_CAST({information} AS JSON[]) "
        f"WHEN 'OBJECT' THEN [{information}] END"
    )
    names = (
        f"list_transform(list_filter({entries}, lambda g: (g ->> 'guardrail_status') IN {GUARDRAIL_HIT}), "
        "lambda g: coalesce(g ->> 'guardrail_name', 'guardrail'))"
    )
    overall = f"({status_fields} ->> 'guardrail_status')"
    return f"CASE WHEN len({names}) > 0 THEN {names} WHEN {overall} IN {GUARDRAIL_HIT} THEN ['guardrail'] END"


def light() -> tuple[dict[str, str], list[Field], dict[str, str]]:
    """The scan's light parse (scan.LIGHT): the same log id, status, latency, feedback and guardrails as
    the full parse, from a struct `s` of a few top-level keys."""
    keys = ["id", "status", "error_str", "startTime", "endTime", "response_time", "metadata",
            "guardrail_information", "status_fields", "call_type"]  # fmt: skip
    fields = [
        field("id", "s.id", "str"),
        field("status", "s.status", "str"),
        field("error_str", "s.error_str", "text"),
        field("startTime", 's."startTime"', "ts"),
        field("endTime", 's."endTime"', "ts"),
        field("response_time", "s.response_time", "num"),
        field("feedback", "json_extract(s.metadata, '$.requester_metadata.feedback')", "int"),
    ]
    exprs = {
        "log_id": LITELLM_LOG_ID,
        "status": LITELLM_STATUS,
        "latency_ms": LITELLM_LATENCY,
        "guardrails": guardrail_flags("s.guardrail_information", "s.status_fields"),
    }
    return dict.fromkeys(keys, "JSON"), fields, exprs


def litellm_sql(source: str) -> str:
    r = JsonPaths()
    requester = "$.metadata.requester_metadata"
    f = [
        field("id", r.first("$.id"), "str"),
        field("startTime", r.first("$.startTime"), "ts"),
        field("endTime", r.first("$.endTime"), "ts"),
        field("response_time", r.first("$.response_time"), "num"),
        field("status", r.first("$.status"), "str"),
        field("error_str", r.first("$.error_str"), "text"),
        field("error_class", r.first("$.error_information.error_class"), "str"),
        field("error_message", r.first("$.error_information.error_message"), "str"),
        field("model", r.first("$.model", "$.model_group"), "str"),
        field(
            "app",
            r.first(
                f"{requester}.app", "$.metadata.user_api_key_alias", "$.metadata.user_api_key_team_alias"
            ),
            "str",
        ),
        field("prompt_version", r.first(f"{requester}.prompt_version"), "str"),
        field("feedback", r.first(f"{requester}.feedback"), "int"),
        field("messages", r.first("$.messages"), "json"),
        *response_fields(r, "$.response"),
        field("choice_text", r.first("$.response.choices[0].text"), "str"),  # a text completion
        # a string response (or one LiteLLM redacted: {"text": ...}); not typed fields, as a Responses API
        # object's `text` is its format settings
        string_or_null("response_string", r.first("$.response")),
        string_or_null("redacted", r.first("$.response.text")),
        field("prompt_tokens", r.first("$.prompt_tokens"), "int"),
        field("completion_tokens", r.first("$.completion_tokens"), "int"),
        field("response_cost", r.first("$.response_cost"), "num"),
        field("guardrail_information", r.first("$.guardrail_information"), "json"),
        field("status_fields", r.first("$.status_fields"), "json"),
        field("request_tags", r.first("$.request_tags"), "strlist"),
    ]
    described = "coalesce(nullif(v_error_class, '') || ': ', '') || v_error_message"
    exprs = {
        "log_id": LITELLM_LOG_ID,
        "ts": "v_startTime",
        "app": "v_app",
        "model": "v_model",
        "prompt_version": "v_prompt_version",
        "input_messages": request_messages("v_messages", "NULL::JSON"),
        "input_text": flatten_messages(request_messages("v_messages", "NULL::JSON")),
        "question": "NULL",
        "context": "NULL",
        "output_text": f"coalesce({RESPONSE_TEXT}, v_choice_text, v_redacted, v_response_string)",
        "input_tokens": "v_prompt_tokens",
        "output_tokens": "v_completion_tokens",
        "cost_usd": "v_response_cost",
        "latency_ms": LITELLM_LATENCY,
        "status": LITELLM_STATUS,
        "error": f"coalesce(nullif(v_error_str, ''), CASE WHEN nullif(v_error_message, '') IS NOT NULL "
        f"THEN {described} END)",
        "finish_reason": "v_finish_reason",
        "feedback": "v_feedback",
        "guardrail_flags": guardrail_flags("v_guardrail_information", "v_status_fields"),
        "tags": "v_request_tags",
    }
    return select_canonical(r, f, exprs, source)
