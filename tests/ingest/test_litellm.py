"""LiteLLM's StandardLoggingPayload, as its proxy's bucket loggers and custom callbacks write it: one JSON
object per call (a JSONL file, or one object per file), successes and failures alike. Such payloads were
taken for wrapper records and quarantined ("response: expected a string, got object")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paritylab.config import IngestConfig, Settings
from paritylab.ingest.pipeline import detect_format, ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.ingest.run import ingest_paths
from paritylab.store import Store

START = 1794823200.25  # 2026-11-16T10:00:00.25Z, as LiteLLM logs it: epoch seconds
CHAT = {
    "id": "chatcmpl-1", "created": 1794823201, "model": "gpt-4o-mini-2024-07-18", "object": "chat.completion",
    "choices": [{"finish_reason": "stop", "index": 0,
                 "message": {"content": "Refunds take 5 to 10 business days.", "role": "assistant",
                             "tool_calls": None, "function_call": None}}],
    "usage": {"completion_tokens": 10, "prompt_tokens": 20, "total_tokens": 30},
}  # fmt: skip
KEEP = IngestConfig(sample_rate=1.0)
NO_ERROR = {"error_code": "", "error_class": "", "llm_provider": "", "traceback": "", "error_message": ""}


def payload(call_id: str, **changes: Any) -> dict[str, Any]:
    """A StandardLoggingPayload of a successful proxied chat call (the fields LiteLLM always writes)."""
    record = {
        "id": call_id, "trace_id": "trace-1", "call_type": "acompletion", "stream": None,
        "response_cost": 0.000123, "status": "success", "custom_llm_provider": "openai",
        "total_tokens": 30, "prompt_tokens": 20, "completion_tokens": 10,
        "startTime": START, "endTime": START + 1.5, "completionStartTime": START + 1.5, "response_time": 1.5,
        "model": "gpt-4o-mini", "model_id": "d1", "model_group": "support", "api_base": "https://api.openai.com",
        "metadata": {"user_api_key_hash": "88dc", "user_api_key_alias": "helpdesk-prod",
                     "user_api_key_team_alias": "support-team", "requester_metadata": {}},
        "cache_hit": None, "cache_key": None, "saved_cache_cost": 0.0, "request_tags": ["prod"],
        "end_user": None, "requester_ip_address": "10.0.0.7",
        "messages": [{"role": "system", "content": "You are the help-centre assistant."},
                     {"role": "user", "content": "How long do refunds take? Mail jo@example.com"}],
        "response": CHAT, "error_str": None, "error_information": NO_ERROR,
        "model_parameters": {"temperature": 0.2}, "hidden_params": {"model_id": "d1"},
        "guardrail_information": None, "standard_built_in_tools_params": None,
    }  # fmt: skip
    return record | changes


def failure(call_id: str) -> dict[str, Any]:
    return payload(
        call_id, status="failure", response={}, completion_tokens=0, response_cost=0.0,
        error_str="litellm.RateLimitError: OpenAIException - Rate limit reached",
        error_information=NO_ERROR | {"error_code": "429", "error_class": "RateLimitError",
                                      "error_message": "Rate limit reached"},
    )  # fmt: skip


def varied() -> list[dict[str, Any]]:
    intervened = [{"guardrail_name": "pii-mask", "guardrail_status": "success"},
                  {"guardrail_name": "topic-block", "guardrail_status": "guardrail_intervened"}]  # fmt: skip
    said = {"type": "message", "content": [{"type": "output_text", "text": "Five days."}]}
    settings = {"format": {"type": "text"}}  # a Responses API object's `text`: not its text
    response_api = {"id": "resp_1", "object": "response", "status": "completed", "text": settings,
                    "output": [{"type": "reasoning"}, said]}  # fmt: skip
    completion = {
        "object": "text_completion",
        "choices": [{"text": " 5 to 10 days", "finish_reason": "length"}],
    }
    legacy = {"guardrail_name": "old", "guardrail_status": "blocked"}  # one object, an older status
    feedback = {"requester_metadata": {"app": "mobile", "prompt_version": "v4", "feedback": -1}}
    redacted = {"messages": [{"role": "user", "content": "redacted-by-litellm"}],
                "response": {"text": "redacted-by-litellm"}}  # fmt: skip
    return [
        payload("ok"),
        failure("failed"),
        payload("guarded", guardrail_information=intervened),
        payload("legacy-guard", guardrail_information=legacy),
        payload("responses", call_type="aresponses", response=response_api),
        payload("completion", call_type="atext_completion", messages="Complete: refunds take",
                response=completion),
        payload("feedback", metadata=feedback),
        # streaming: response_time is the time to the first token; the latency is end - start
        payload("streamed", stream=True, response_time=0.2, endTime=START + 4.0),
        payload("string", response="A plain answer."),
        payload("embedding", call_type="aembedding", messages=["refund policy"], response={"data": []}),
        payload("redacted", **redacted),
        payload("bad-start", startTime="yesterday"),
    ]  # fmt: skip


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def rows_by_id(store: Store) -> dict[str, dict[str, Any]]:
    rows = store.rows("SELECT * FROM logs")
    return {r["log_id"].removeprefix("litellm:"): r for r in rows}


def test_litellm_payloads_map_to_log_records(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "litellm.jsonl", varied())
    assert detect_format(path) == "litellm"  # not "wrapper", though it has messages and a response
    batch = ingest_file(store, path, None, IngestConfig(sample_rate=1.0), redactor=Redactor())
    assert batch.reconciles() and (batch.seen, batch.stored, batch.quarantined, batch.skipped) == (
        12,
        9,
        1,
        2,
    )
    assert batch.skipped_kinds == {
        "LiteLLM aembedding call (no text generated)": 1,
        "LiteLLM payload with its messages redacted (turn_off_message_logging)": 1,
    }
    [reasons] = store.execute("SELECT reasons FROM quarantine").fetchone()
    assert reasons == ['startTime: expected a timestamp, got varchar "yesterday"']
    rows = rows_by_id(store)
    said = {
        log_id: {k: row[k] for k in EXPECTED[log_id]} for log_id, row in rows.items() if log_id in EXPECTED
    }
    assert said == EXPECTED
    assert rows["ok"]["ts"].isoformat() == "2026-11-16T10:00:00.250000+00:00"
    assert rows["ok"]["input_text"] == (
        "system: You are the help-centre assistant.\nuser: How long do refunds take? Mail [EMAIL]"
    )
    assert {r["guardrail_flags"] is None for k, r in rows.items() if "guard" not in k} == {True}


EXPECTED: dict[str, dict[str, Any]] = {
    "ok": {"app": "helpdesk-prod", "model": "gpt-4o-mini", "status": "ok", "finish_reason": "stop",
           "latency_ms": 1500, "cost_usd": 0.000123, "input_tokens": 20, "output_tokens": 10,
           "tags": ["prod"], "error": None, "output_text": "Refunds take 5 to 10 business days."},
    "failed": {"status": "error", "output_text": None, "output_tokens": 0,
               "error": "litellm.RateLimitError: OpenAIException - Rate limit reached"},
    "guarded": {"guardrail_flags": ["topic-block"]},
    "legacy-guard": {"guardrail_flags": ["old"]},
    "responses": {"output_text": "Five days.", "finish_reason": "completed"},
    "completion": {"input_text": "user: Complete: refunds take", "output_text": " 5 to 10 days"},
    "feedback": {"app": "mobile", "prompt_version": "v4", "feedback": -1},
    "streamed": {"latency_ms": 4000},  # end - start, not the time to the first token
    "string": {"output_text": "A plain answer."},
}  # fmt: skip


def test_sampling_keeps_every_litellm_failure(store: Store, tmp_path: Path) -> None:
    """At sample rate 0 only failures are kept: the scan's light parse sees the same status, guardrail
    hits, feedback and latency (end - start) as the full parse."""
    slow = payload("slow", endTime=START + 30.0)
    path = write(tmp_path / "litellm.jsonl", [*varied(), slow])
    cfg = IngestConfig(sample_rate=0.0, latency_slo_ms=10_000)
    batch = ingest_file(store, path, "litellm", cfg, redactor=Redactor())
    assert batch.reconciles() and (batch.sampled_out, batch.quarantined, batch.skipped) == (5, 1, 2)
    assert batch.kept_kinds == {"error": 1, "guardrail": 2, "negative_feedback": 1, "slow": 1}
    assert set(rows_by_id(store)) == {"failed", "guarded", "legacy-guard", "feedback", "slow"}


def test_a_bucket_of_one_payload_per_file_is_read(tmp_path: Path) -> None:
    """LiteLLM's S3 logger writes each call to its own object ({date}/time-{hh-mm-ss}_{id}.json): a folder
    of them is read as one group of small files, each its own reconciled batch."""
    bucket = tmp_path / "bucket" / "2026-11-16"
    bucket.mkdir(parents=True)
    for i in range(30):
        record = failure(f"f{i}") if i % 10 == 0 else payload(f"c{i}")
        (bucket / f"time-10-00-{i:02d}-000000_c{i}.json").write_text(json.dumps(record))
    settings = Settings(store=tmp_path / "s.duckdb", ingest=IngestConfig(sample_rate=1.0))
    batches = ingest_paths(settings, [str(tmp_path / "bucket")])
    assert len(batches) == 30 and all(b.reconciles() and b.stored == 1 for b in batches)
    assert {b.source_format for b in batches} == {"litellm"} and batches[0].staged_with == 30


def test_odd_times_and_a_reasoning_only_call_are_rows_not_errors(store: Store, tmp_path: Path) -> None:
    """Found in review: a start time out of range (epoch nanoseconds were read as milliseconds) failed the
    whole file at any sample rate; a Responses API call cut short with only reasoning was quarantined."""
    reasoning_only = {"object": "response", "status": "incomplete", "output": [{"type": "reasoning"}],
                      "incomplete_details": {"reason": "max_output_tokens"}}  # fmt: skip
    records = [
        payload("ns", startTime=1794823200_250000000, endTime=1794823201_750000000),  # epoch ns: read
        payload("huge", startTime=1e300),
        payload("cut", call_type="aresponses", response=reasoning_only),
        *(payload(f"fine-{i}") for i in range(5)),
    ]
    none_sampled = IngestConfig(sample_rate=0.0)
    batch = ingest_file(
        store, write(tmp_path / "odd.jsonl", records), "litellm", none_sampled, redactor=Redactor()
    )
    assert batch.reconciles() and (batch.quarantined, batch.kept_kinds, batch.sampled_out) == (
        1,
        {"error": 1},
        6,
    )
    [reasons] = store.execute("SELECT reasons FROM quarantine").fetchone()
    assert reasons[0].startswith("startTime: expected a timestamp")
    [cut] = store.rows("SELECT status, error FROM logs")
    assert cut == {
        "status": "error",
        "error": "no output: the call stopped with finish reason max_output_tokens",
    }
    again = ingest_file(
        store, write(tmp_path / "ns.jsonl", records[:1]), "litellm", KEEP, redactor=Redactor()
    )
    assert again.stored == 1
    [ns] = store.rows("SELECT ts, latency_ms FROM logs WHERE log_id = 'litellm:ns'")
    assert (ns["ts"].isoformat(), ns["latency_ms"]) == ("2026-11-16T10:00:00.250000+00:00", 1500)
