"""OTLP spans of the two most used LLM instrumentations besides the GenAI semconv's own layout: OpenLLMetry
(Traceloop) records each message field as an attribute of its own (`gen_ai.prompt.0.content`), and
OpenInference (Arize Phoenix) its `llm.*` attributes. Their spans were stored without input or output
(quarantined: no output), and OpenInference's skipped as "not a GenAI call"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paritylab.config import IngestConfig
from paritylab.ingest.pipeline import ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.store import Store

START_NS = 1794823200_000000000  # 2026-11-16T10:00:00Z


def value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}  # OTLP/JSON writes int64 as a string
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [value(x) for x in v]}}
    return {"stringValue": v}


def span(span_id: str, attributes: dict[str, Any], *, error: bool = False) -> dict[str, Any]:
    return {
        "traceId": "t1", "spanId": span_id, "name": "llm", "kind": 3,
        "startTimeUnixNano": str(START_NS), "endTimeUnixNano": str(START_NS + 1_250_000_000),
        "attributes": [{"key": k, "value": value(v)} for k, v in attributes.items()],
        "status": {"code": 2, "message": "boom"} if error else {"code": 1},
    }  # fmt: skip


def export(*spans: dict[str, Any]) -> str:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "helpdesk"}}]}
    return json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": list(spans)}]}]})


OPENLLMETRY = {
    "gen_ai.system": "openai", "llm.request.type": "chat", "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "Be brief.",
    "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Refunds?",
    "gen_ai.prompt.2.role": "assistant", "gen_ai.prompt.2.content": "For which order?",
    "gen_ai.prompt.10.role": "user",
    "gen_ai.prompt.10.content": json.dumps([{"type": "text", "text": "Order 7"},
                                            {"type": "image_url", "image_url": {"url": "u"}}]),
    "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "5 to 10 days.",
    "gen_ai.completion.0.finish_reason": "stop",
    "gen_ai.usage.prompt_tokens": 31, "gen_ai.usage.completion_tokens": 6, "llm.usage.total_tokens": 37,
}  # fmt: skip
TOOL_CALL = {
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Weather?",
    "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
    "gen_ai.completion.0.tool_calls.0.name": "get_weather",
    "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Paris"}',
    "gen_ai.completion.0.tool_calls.1.name": "get_time", "gen_ai.completion.0.tool_calls.1.arguments": "{}",
}  # fmt: skip
OPENINFERENCE = {
    "openinference.span.kind": "LLM", "llm.model_name": "claude-sonnet-4-5", "llm.provider": "anthropic",
    "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "Be brief.",
    "llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": "Refunds?",
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.content": "Within 30 days.",
    "llm.token_count.prompt": 25, "llm.token_count.completion": 5, "llm.token_count.total": 30,
    "llm.cost.total": 0.00042, "llm.prompt_template.version": "support-v4", "tag.tags": ["prod", "eu"],
    "input.value": '{"messages": [...]}', "input.mime_type": "application/json",
}  # fmt: skip
OPENINFERENCE_TOOL = {
    "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o", "input.value": "Weather in Paris?",
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"city":"Paris"}',
}  # fmt: skip
CHAIN = {"openinference.span.kind": "CHAIN", "input.value": "Refunds?", "output.value": "Within 30 days."}


def test_openllmetry_and_openinference_spans_are_read(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    lines = [
        export(span("llmetry", OPENLLMETRY), span("tool", TOOL_CALL)),
        export(
            span("phoenix", OPENINFERENCE), span("phoenix-tool", OPENINFERENCE_TOOL), span("chain", CHAIN)
        ),
        export(span("failed", {**OPENINFERENCE, "llm.output_messages.0.message.content": ""}, error=True)),
    ]
    path.write_text("\n".join(lines) + "\n")
    batch = ingest_file(store, path, None, IngestConfig(sample_rate=1.0), redactor=Redactor())
    assert batch.reconciles() and (batch.stored, batch.quarantined, batch.skipped) == (5, 0, 1)
    assert batch.skipped_kinds == {"span is not a GenAI call": 1}
    rows = {r["log_id"].split(":")[-1]: r for r in store.rows("SELECT * FROM logs")}
    llmetry = rows["llmetry"]
    assert llmetry["input_text"].split("\n") == [
        "system: Be brief.",
        "user: Refunds?",
        "assistant: For which order?",
        "user: Order 7",
        "[image_url]",
    ]  # N in numeric order (10 after 2); a list of content parts read as their texts
    assert (llmetry["output_text"], llmetry["finish_reason"]) == ("5 to 10 days.", "stop")
    assert (llmetry["input_tokens"], llmetry["output_tokens"], llmetry["model"]) == (31, 6, "gpt-4o-mini")
    assert rows["tool"]["output_text"] == 'get_weather({"city": "Paris"})\nget_time({})'
    phoenix = rows["phoenix"]
    assert (phoenix["input_text"], phoenix["output_text"]) == (
        "system: Be brief.\nuser: Refunds?",
        "Within 30 days.",
    )
    assert (phoenix["model"], phoenix["input_tokens"], phoenix["output_tokens"]) == (
        "claude-sonnet-4-5",
        25,
        5,
    )
    assert (phoenix["cost_usd"], phoenix["prompt_version"], phoenix["tags"]) == (
        0.00042,
        "support-v4",
        ["prod", "eu"],
    )
    assert (phoenix["latency_ms"], phoenix["app"], phoenix["status"]) == (1250, "helpdesk", "ok")
    tool = rows["phoenix-tool"]
    assert (tool["input_text"], tool["output_text"]) == (
        "user: Weather in Paris?",
        'get_weather({"city":"Paris"})',
    )
    assert (rows["failed"]["status"], rows["failed"]["error"]) == ("error", "boom")


def test_odd_indexes_and_json_answers(store: Store, tmp_path: Path) -> None:
    """Found in review: an index past 32 bits failed the whole file; a leading zero lost the role; a model
    answer that is JSON (a list) read as content parts ("[part]")."""
    odd = {
        "gen_ai.request.model": "m",
        "gen_ai.prompt.01.role": "user", "gen_ai.prompt.01.content": "first",
        "gen_ai.prompt.99999999999.role": "user", "gen_ai.prompt.99999999999.content": "last",
        "gen_ai.completion.0.content": '[{"id": 1}, {"id": 2}]',
    }  # fmt: skip
    path = tmp_path / "odd.jsonl"
    path.write_text(export(span("odd", odd)) + "\n")
    batch = ingest_file(store, path, "otel", IngestConfig(sample_rate=1.0), redactor=Redactor())
    assert batch.reconciles() and batch.stored == 1
    [row] = store.rows("SELECT input_text, output_text FROM logs")
    assert row == {"input_text": "user: first\nuser: last", "output_text": '[{"id": 1}, {"id": 2}]'}
