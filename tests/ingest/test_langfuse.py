"""Langfuse observations as its batch export writes them (JSONL, one observation per line, camelCase):
the generations are the model calls; spans, events and other observation types are skipped by type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paritylab.config import IngestConfig
from paritylab.ingest.pipeline import detect_format, ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.store import Store

ASKED = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Refunds? I'm jo@example.com"},
]


def observation(obs_id: str, **changes: Any) -> dict[str, Any]:
    """A GENERATION observation of Langfuse's OpenAI integration, as the batch export writes it."""
    record = {
        "id": obs_id, "traceId": "trace-1", "projectId": "p1", "environment": "default", "type": "GENERATION",
        "name": "OpenAI-generation", "parentObservationId": None, "level": "DEFAULT", "statusMessage": None,
        "version": "release-42",
        "startTime": "2026-11-16T10:00:00.000Z", "endTime": "2026-11-16T10:00:01.200Z",
        "completionStartTime": "2026-11-16T10:00:00.400Z", "model": "gpt-4o-mini",
        "modelParameters": {"temperature": 0.2, "max_tokens": 300},
        "input": ASKED, "output": {"role": "assistant", "content": "5 to 10 business days."},
        "metadata": {}, "usageDetails": {"input": 20, "output": 7, "total": 27},
        "costDetails": {"input": 0.000003, "output": 0.0000042, "total": 0.0000072},
        "inputUsage": 20, "outputUsage": 7, "totalUsage": 27, "totalCost": 0.0000072,
        "latency": 1200.0, "timeToFirstToken": 0.4, "promptName": "support", "promptVersion": 3,
        "traceName": "helpdesk-chat", "traceTags": ["prod"], "userId": "u1",
    }  # fmt: skip
    return record | changes


def test_langfuse_generations_map_to_log_records(store: Store, tmp_path: Path) -> None:
    weather = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    tool_call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"type": "function", "function": weather}],
    }
    records = [
        observation("gen-ok"),
        observation(
            "gen-failed",
            level="ERROR",
            statusMessage="RateLimitError: 429",
            output=None,
            usageDetails={},
            costDetails={},
        ),
        observation("gen-streamed", output="Five days.", input={"messages": ASKED, "tools": []}),
        observation("gen-tool", output=tool_call, promptName=None, promptVersion=None),
        observation(
            "gen-prompt", input="Complete: refunds take", output=" 5 days", metadata={"app": "batch"}
        ),
        observation("span-1", type="SPAN", name="retrieve", input={"q": "refunds"}, output=[{"doc": 1}]),
        observation("event-1", type="EVENT", name="feedback", input=None, output=None),
        observation("gen-late", startTime="2026-11-16T10:00:00Z", endTime="2026-11-16T10:00:30Z"),
    ]
    path = tmp_path / "observations.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert detect_format(path) == "langfuse"
    batch = ingest_file(store, path, None, IngestConfig(sample_rate=1.0), redactor=Redactor())
    assert batch.reconciles() and (batch.seen, batch.stored, batch.quarantined, batch.skipped) == (8, 6, 0, 2)
    assert batch.skipped_kinds == {
        "Langfuse SPAN observation (not a model call)": 1,
        "Langfuse EVENT observation (not a model call)": 1,
    }
    rows = {r["log_id"].removeprefix("langfuse:"): r for r in store.rows("SELECT * FROM logs")}
    ok = rows["gen-ok"]
    assert ok["input_text"] == "system: Be brief.\nuser: Refunds? I'm [EMAIL]"
    assert {k: ok[k] for k in EXPECTED_OK} == EXPECTED_OK
    assert ok["ts"].isoformat() == "2026-11-16T10:00:00+00:00"
    failed = rows["gen-failed"]
    assert (failed["status"], failed["error"], failed["output_text"]) == (
        "error",
        "RateLimitError: 429",
        None,
    )
    assert (rows["gen-streamed"]["output_text"], rows["gen-streamed"]["input_text"]) == (
        "Five days.", "system: Be brief.\nuser: Refunds? I'm [EMAIL]"
    )  # fmt: skip
    assert rows["gen-tool"]["output_text"] == 'get_weather({"city": "Paris"})'
    assert rows["gen-tool"]["prompt_version"] == "release-42"  # no managed prompt: the observation's version
    prompt = rows["gen-prompt"]
    assert (prompt["input_text"], prompt["output_text"], prompt["app"]) == (
        "user: Complete: refunds take", " 5 days", "batch"
    )  # fmt: skip
    assert rows["gen-late"]["latency_ms"] == 30_000  # end - start, whatever unit `latency` was written in


EXPECTED_OK = {
    "status": "ok", "error": None, "output_text": "5 to 10 business days.", "model": "gpt-4o-mini",
    "app": "helpdesk-chat", "prompt_version": "support@3", "input_tokens": 20, "output_tokens": 7,
    "cost_usd": 0.0000072, "latency_ms": 1200, "tags": ["prod"],
}  # fmt: skip


def test_sampling_keeps_every_failed_or_slow_generation(store: Store, tmp_path: Path) -> None:
    records = [
        observation("failed", level="ERROR", statusMessage="boom", output=None),
        observation("slow", endTime="2026-11-16T10:00:30Z"),
        *(observation(f"fine-{i}") for i in range(20)),
    ]
    path = tmp_path / "observations.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    cfg = IngestConfig(sample_rate=0.0, latency_slo_ms=10_000)
    batch = ingest_file(store, path, "langfuse", cfg, redactor=Redactor())
    assert batch.reconciles() and batch.kept_kinds == {"error": 1, "slow": 1} and batch.sampled_out == 20


def test_a_skip_kind_names_an_odd_type_within_bounds(store: Store, tmp_path: Path) -> None:
    """Skipped lines are counted by kind, and a kind names the observation's type: a type of any length
    must not make a kind (a key of the batch's skipped_kinds) of that length."""
    path = tmp_path / "observations.jsonl"
    path.write_text(json.dumps(observation("odd", type="X" * 500)) + "\n")
    batch = ingest_file(store, path, "langfuse", IngestConfig(sample_rate=1.0), redactor=Redactor())
    assert batch.skipped_kinds == {f"Langfuse {'X' * 60} observation (not a model call)": 1}


def test_traces_and_scores_in_a_folder_of_exports_are_skipped_not_quarantined(
    store: Store, tmp_path: Path
) -> None:
    """A folder of Langfuse exports holds traces and scores beside the observations: a trace (input and
    output, a `timestamp`, no `type`) is not a model call, nor is a score; neither is a broken record.
    An observation that lost its `type` and its `startTime` still is one (quarantined, with its reasons)."""
    trace = {
        "id": "trace-1", "timestamp": "2026-11-16T10:00:00.000Z", "name": "helpdesk-chat",
        "input": ASKED, "output": {"role": "assistant", "content": "5 to 10 business days."},
        "sessionId": None, "userId": "u1", "tags": ["prod"], "latency": 1.3, "totalCost": 0.0000072,
        "observations": ["gen-ok"], "scores": ["score-1"], "projectId": "p1",
    }  # fmt: skip
    score = {
        "id": "score-1", "timestamp": "2026-11-16T10:01:00.000Z", "traceId": "trace-1", "observationId": None,
        "name": "user-feedback", "value": 0, "dataType": "NUMERIC", "source": "API", "comment": "wrong",
    }  # fmt: skip
    untyped = {k: v for k, v in observation("gen-broken").items() if k not in ("type", "startTime")}
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [observation("gen-ok"), trace, score, untyped]))
    batch = ingest_file(store, path, "langfuse", IngestConfig(sample_rate=1.0), redactor=Redactor())
    assert batch.reconciles() and (batch.stored, batch.quarantined, batch.skipped) == (1, 1, 2)
    assert batch.skipped_kinds == {
        "Langfuse trace (its generations are the calls)": 1,
        "Langfuse score (scores are not read)": 1,
    }
    [reasons] = store.rows("SELECT reasons FROM quarantine")
    assert reasons["reasons"] == ["timestamp is missing or unreadable"]
