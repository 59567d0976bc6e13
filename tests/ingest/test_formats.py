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


def envelope(log_id: str, request: dict[str, Any], response: dict[str, Any] | None) -> str:
    return json.dumps(
        {"id": log_id, "created_at": "2026-11-16T10:00:00Z", "request": request, "response": response}
    )


def anthropic(content: list[dict[str, Any]], stop: str = "end_turn") -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": content,
            "stop_reason": stop, "usage": {"input_tokens": 25, "output_tokens": 11}}  # fmt: skip


def responses(output: list[dict[str, Any]], status: str = "completed", **extra: Any) -> dict[str, Any]:
    return {"object": "response", "model": "gpt-4.1", "status": status, "output": output, "error": None,
            "incomplete_details": None, "usage": {"input_tokens": 30, "output_tokens": 8},
            **extra}  # fmt: skip


def test_anthropic_messages_and_responses_api_logs_are_read(store: Store, tmp_path: Path) -> None:
    """Request/response logs of Anthropic's Messages API and OpenAI's Responses API: system prompt,
    content blocks, tool use, output items, usage and stop reasons (they were quarantined: no output)."""
    ask = {
        "model": "claude-sonnet-4-5",
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Refunds?"}],
    }
    result = {"type": "tool_result", "tool_use_id": "t0", "content": [{"type": "text", "text": "12C"}]}
    blocks = {"model": "claude-sonnet-4-5", "system": [{"type": "text", "text": "Use tools."}],
              "messages": [{"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
                           {"role": "user", "content": [result]}]}  # fmt: skip
    tool_use = {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}}
    said = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "5 days."}]}
    refused = {"type": "message", "role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]}
    call = {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": '{"city":"Paris"}'}
    items = [{"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]}]
    lines = [
        envelope("a-text", ask, anthropic([{"type": "text", "text": "5 to 10 days."}])),
        envelope("a-tool", blocks, anthropic([{"type": "text", "text": "Checking."}, tool_use], "tool_use")),
        envelope("r-text", {"model": "gpt-4.1", "instructions": "Be brief.", "input": "Refunds?"},
                 responses([said])),
        envelope("r-call", {"model": "gpt-4.1", "input": items}, responses([{"type": "reasoning"}, call])),
        envelope("r-refusal", {"model": "gpt-4.1", "input": "Hack it"}, responses([refused])),
        envelope("r-cut", {"model": "gpt-4.1", "input": "Long?"},
                 responses([said], "incomplete", incomplete_details={"reason": "max_output_tokens"})),
    ]  # fmt: skip
    rows = stored(store, tmp_path, lines, "openai")
    assert rows["a-text"] == {
        "log_id": "openai:a-text", "output_text": "5 to 10 days.", "finish_reason": "end_turn",
        "input_text": "system: Be brief.\nuser: Refunds?",
    }  # fmt: skip
    assert rows["a-tool"]["output_text"] == 'Checking.\nget_weather({"city":"Paris"})'
    assert rows["a-tool"]["input_text"] == "system: Use tools.\nuser: Weather?\nuser: 12C"
    assert rows["a-tool"]["finish_reason"] == "tool_use"
    assert rows["r-text"]["input_text"] == "system: Be brief.\nuser: Refunds?"
    assert (rows["r-text"]["output_text"], rows["r-text"]["finish_reason"]) == ("5 days.", "completed")
    assert rows["r-call"]["output_text"] == 'get_weather({"city":"Paris"})'
    assert rows["r-call"]["input_text"] == "user: Weather?"
    assert rows["r-refusal"]["output_text"] == "No."
    assert rows["r-cut"]["finish_reason"] == "max_output_tokens"
    [usage] = store.rows(
        "SELECT input_tokens, output_tokens, input_messages FROM logs WHERE log_id = 'openai:r-text'"
    )
    assert (usage["input_tokens"], usage["output_tokens"]) == (30, 8)
    assert json.loads(usage["input_messages"]) == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Refunds?"}
    ]  # fmt: skip


def test_a_failed_call_in_the_response_body_is_an_error_and_always_kept(store: Store, tmp_path: Path) -> None:
    """A Responses API call that failed, or an Anthropic error body logged as the response: an error (kept
    by sampling like every failure), with the provider's own words."""
    failed = responses([], "failed", error={"code": "server_error", "message": "The server had an error"})
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    hello = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hi"}]}
    lines = [
        envelope("r-failed", {"model": "gpt-4.1", "input": "Refunds?"}, failed),
        envelope("a-overloaded", hello, overloaded),
        *(envelope(f"fine-{i}", {"model": "gpt-4.1", "input": "Hi"}, responses([])) for i in range(50)),
    ]  # fmt: skip
    path = tmp_path / "errors.jsonl"
    path.write_text("\n".join(lines) + "\n")
    batch = ingest_file(store, path, "openai", IngestConfig(sample_rate=0.0), redactor=Redactor())
    assert batch.reconciles() and batch.kept_kinds == {"error": 2} and batch.sampled_out == 50
    rows = {r["log_id"]: r for r in store.rows("SELECT log_id, status, error FROM logs")}
    assert rows["openai:r-failed"] == {
        "log_id": "openai:r-failed", "status": "error", "error": "server_error: The server had an error"
    }  # fmt: skip
    assert rows["openai:a-overloaded"]["error"] == "overloaded_error: Overloaded"


def test_a_call_cut_short_before_it_said_anything_is_an_error_and_always_kept(
    store: Store, tmp_path: Path
) -> None:
    """A call stopped by its token limit (a reasoning model that spent it all thinking) or a content filter,
    with no output, is a failure: an error with its reason, kept by sampling. It was a success with an
    empty answer (content "") or quarantined as having no output (content null)."""
    ask = {"model": "o4-mini", "messages": [{"role": "user", "content": "Refunds?"}]}

    def chat(content: str | None, finish: str) -> dict[str, Any]:
        message = {"role": "assistant", "content": content}
        return {"choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": {}}

    reasoning_only = responses([{"type": "reasoning", "summary": []}], "incomplete",
                               incomplete_details={"reason": "max_output_tokens"})  # fmt: skip
    lines = [
        envelope("empty-length", ask, chat("", "length")),
        envelope("null-filtered", ask, chat(None, "content_filter")),
        envelope("reasoning-only", {"model": "o4-mini", "input": "Refunds?"}, reasoning_only),
        envelope("anthropic-max", ask, anthropic([], "max_tokens")),
        envelope("said-something", ask, chat("Refunds take", "length")),  # cut, but an answer: ok
        *(envelope(f"fine-{i}", ask, chat("5 days.", "stop")) for i in range(20)),
    ]
    path = tmp_path / "cut.jsonl"
    path.write_text("\n".join(lines) + "\n")
    batch = ingest_file(store, path, "openai", IngestConfig(sample_rate=0.0), redactor=Redactor())
    assert batch.reconciles() and batch.quarantined == 0
    assert batch.kept_kinds == {"error": 4} and batch.sampled_out == 21
    rows = {
        r["log_id"].removeprefix("openai:"): r for r in store.rows("SELECT log_id, status, error FROM logs")
    }
    assert {k: r["status"] for k, r in rows.items()} == dict.fromkeys(
        ["empty-length", "null-filtered", "reasoning-only", "anthropic-max"], "error"
    )
    assert (
        rows["reasoning-only"]["error"] == "no output: the call stopped with finish reason max_output_tokens"
    )
    wrapper = tmp_path / "wrapper.jsonl"
    record = {"request_id": "w1", "ts": "2026-11-16T10:00:00Z", "model": "o4-mini", "prompt": "Refunds?"}
    wrapper.write_text(json.dumps(record | {"response": "", "ok": True, "finish_reason": "length"}))
    [cut] = ingest_paths_one(store, wrapper)
    assert (cut["status"], cut["error"]) == ("error", "no output: the call stopped with finish reason length")


def ingest_paths_one(store: Store, path: Path) -> list[dict[str, Any]]:
    batch = ingest_file(store, path, "wrapper", IngestConfig(sample_rate=0.0), redactor=Redactor())
    assert batch.reconciles() and batch.stored == 1
    return store.rows("SELECT status, error FROM logs WHERE log_id = 'wrapper:w1'")
