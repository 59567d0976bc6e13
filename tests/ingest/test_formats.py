"""What a chat message says, whatever shape the log gives it: text, content parts, tool calls, a
refusal. A tool-calling turn has no text content, yet it is an answer (not "no output")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paritylab.config import IngestConfig
from paritylab.ingest.pipeline import ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.store import Store

KEEP_ALL = IngestConfig(sample_rate=1.0)
WEATHER = {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}


def openai_log(log_id: str, message: dict[str, Any], messages: list[dict[str, Any]] | None = None) -> str:
    request = {"model": "gpt-4o", "messages": messages or [{"role": "user", "content": "Weather?"}]}
    response = {
        "id": f"c-{log_id}",
        "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 10},
    }
    return json.dumps(
        {"id": log_id, "created_at": "2026-11-16T10:00:00Z", "request": request, "response": response}
    )


def stored(store: Store, tmp_path: Path, lines: list[str], fmt: str) -> dict[str, dict[str, Any]]:
    path = tmp_path / f"{fmt}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    batch = ingest_file(store, path, fmt, KEEP_ALL, redactor=Redactor())
    assert batch.reconciles() and batch.quarantined == 0, store.rows("SELECT reasons FROM quarantine")
    rows = store.rows("SELECT log_id, output_text, input_text, finish_reason FROM logs")
    return {r["log_id"].split(":")[-1]: r for r in rows}


def test_openai_tool_calls_refusals_and_content_parts_read_as_text(store: Store, tmp_path: Path) -> None:
    history = [
        {"role": "user", "content": [{"type": "text", "text": "What is in"},
                                     {"type": "image_url", "image_url": {"url": "u"}}]},
        {"role": "assistant", "content": None, "tool_calls": [WEATHER]},
        {"role": "tool", "tool_call_id": "1", "content": "rainy"},
        {"role": "user", "content": [{"type": "tool_use", "name": "lookup", "input": {"q": 2}}]},
    ]  # fmt: skip
    second = {"function": {"name": "f", "arguments": "{}"}}
    two_parts = {"content": [{"type": "text", "text": "It is"}, {"type": "text", "text": "rainy."}]}
    lines = [
        openai_log("tool", {"content": None, "tool_calls": [WEATHER, second]}),
        openai_log("refusal", {"content": None, "refusal": "I can't help with that."}),
        openai_log("legacy", {"content": None, "function_call": {"name": "old", "arguments": "{}"}}),
        openai_log("parts", two_parts, history),
        openai_log("plain", {"content": "Rainy."}),
    ]  # fmt: skip
    rows = stored(store, tmp_path, lines, "openai")
    assert rows["tool"]["output_text"] == 'get_weather({"city": "Paris"})\nf({})'
    assert rows["refusal"]["output_text"] == "I can't help with that."
    assert rows["legacy"]["output_text"] == "old({})"
    assert rows["parts"]["output_text"] == "It is\nrainy."
    assert rows["parts"]["input_text"].split("\n") == [
        "user: What is in", "[image_url]", 'assistant: get_weather({"city": "Paris"})', "tool: rainy",
        'user: lookup({"q":2})',
    ]  # fmt: skip
    assert rows["plain"]["output_text"] == "Rainy." and rows["plain"]["input_text"] == "user: Weather?"


def attr(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def test_otel_tool_call_parts_and_the_output_message_finish_reason(store: Store, tmp_path: Path) -> None:
    asked = [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
        {"role": "assistant",
         "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "rainy, 12C"}]},
    ]  # fmt: skip
    call = {"type": "tool_call", "name": "forecast", "arguments": {"days": 2}}
    answer = [{"role": "assistant", "parts": [call], "finish_reason": "tool_call"}]
    span = {
        "traceId": "t1", "spanId": "s1", "startTimeUnixNano": "1794787365000000000",
        "endTimeUnixNano": "1794787366000000000",
        "attributes": [attr("gen_ai.operation.name", "chat"), attr("gen_ai.request.model", "gpt-4o"),
                       attr("gen_ai.input.messages", json.dumps(asked)),
                       attr("gen_ai.output.messages", json.dumps(answer))],
    }  # fmt: skip
    export = {
        "resourceSpans": [
            {"resource": {"attributes": [attr("service.name", "bot")]}, "scopeSpans": [{"spans": [span]}]}
        ]
    }
    row = stored(store, tmp_path, [json.dumps(export)], "otel")["s1"]
    assert row["output_text"] == 'forecast({"days":2})' and row["finish_reason"] == "tool_call"
    assert (
        row["input_text"]
        == 'user: Weather in Paris?\nassistant: get_weather({"city":"Paris"})\ntool: rainy, 12C'
    )
