"""A corpus of malformed records, one kind per line: each must be quarantined (or skipped) with the
right reason, and every batch must reconcile exactly: seen = stored + quarantined + sampled + skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paritylab.config import IngestConfig
from paritylab.ingest.pipeline import BatchSummary, ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.ingest.validate import MAX_TEXT_CHARS
from paritylab.store import Store

KEEP_ALL = IngestConfig(sample_rate=1.0)


def wrapper(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "ts": "2026-11-16T09:14:03.120Z",
        "request_id": "req_ok",
        "app": "helpdesk",
        "model": "gpt-4o-mini",
        "prompt": "<context>Refunds take 5 days.</context>\n<question>How long?</question>",
        "response": "5 days",
        "input_tokens": 12,
        "output_tokens": 3,
        "est_cost_usd": 0.0001,
        "latency_ms": 900,
        "ok": True,
        "error": None,
        "feedback": None,
        "guardrails": [],
    }
    record.update(overrides)
    return {k: v for k, v in record.items() if v != "<drop>"}


def w(kind: str, **overrides: Any) -> str:
    return json.dumps(wrapper(request_id=f"req_{kind}", **overrides))


# (kind, line, expected reason fragment) for the logging-wrapper format
WRAPPER_CASES: list[tuple[str, str | bytes, str]] = [
    ("truncated", '{"ts": "2026-11-16T09:14:03Z", "model": "x", "prompt": "cut off her', "invalid JSON"),
    ("trailing comma", '{"model": "x", "prompt": "p",}', "invalid JSON"),
    ("single quotes", "{'model': 'x', 'prompt': 'p'}", "invalid JSON"),
    ("unquoted key", '{model: "x", "prompt": "p"}', "invalid JSON"),
    ("stray text", "Traceback (most recent call last):", "invalid JSON"),
    ("NaN literal", '{"model": "x", "prompt": "p", "latency_ms": NaN}', "invalid JSON"),
    ("nan lowercase", '{"model": "x", "prompt": "p", "est_cost_usd": nan}', "invalid JSON"),
    ("inf no space", '{"model": "x", "prompt": "p", "latency_ms":inf}', "invalid JSON"),
    ("signed Inf in a list", '{"model": "x", "prompt": "p", "tags": [1, -Inf]}', "invalid JSON"),
    ("NAN first in a list", '{"model": "x", "prompt": "p", "tags": [ NAN ]}', "invalid JSON"),
    ("infinity nested", '{"model": "x", "prompt": "p", "meta": {"k":\t+infinity}}', "invalid JSON"),
    ("trailing comma, spaces", '{"model": "x", "prompt": "p", "guardrails": ["a",  ]}', "invalid JSON"),
    ("two objects", '{"model": "x", "prompt": "p"}{"model": "y"}', "invalid JSON"),
    ("array", "[1, 2, 3]", "JSON value is array"),
    ("string", '"just a string"', "JSON value is varchar"),
    ("number", "42", "JSON value is "),
    ("null", "null", "JSON value is null"),
    ("foreign object", '{"hello": "world"}', "not a wrapper record"),
    ("invalid utf-8", b'{"model": "x", "prompt": "caf\xe9 \xff"}', "invalid UTF-8"),
    ("nul byte", b'{"model": "x", "prompt": "a\x00b"}', "NUL byte"),
    ("logger non-json", "INFO:llm_calls:starting the assistant", "invalid JSON"),
    ("logger truncated", 'INFO:llm_calls:{"model": "x", "prompt": "p', "invalid JSON"),
    ("input_tokens string", w("t1", input_tokens="twelve"), "input_tokens: expected an integer"),
    ("output_tokens fraction", w("t2", output_tokens=3.5), "output_tokens: expected an integer"),
    ("latency string", w("t3", latency_ms="900ms"), "latency_ms: expected a number"),
    ("ok string", w("t4", ok="yes"), "ok: expected true/false"),
    ("ts words", w("t5", ts="yesterday"), "ts: expected a timestamp"),
    ("ts boolean", w("t6", ts=True), "ts: expected a timestamp"),
    ("feedback string", w("t7", feedback="down"), "feedback: expected an integer"),
    ("guardrails string", w("t8", guardrails="off_topic"), "guardrails: expected a list of strings"),
    ("cost string", w("t9", est_cost_usd="$0.01"), "est_cost_usd: expected a number"),
    ("prompt object", w("t10", prompt={"text": "p"}), "prompt: expected a string"),
    ("response list", w("t11", response=["a", "b"]), "response: expected a string"),
    ("model object", w("t12", model={"name": "gpt"}), "model: expected a string"),
    ("request_id list", json.dumps(wrapper(request_id=[1])), "request_id: expected a string"),
    ("negative latency", w("v1", latency_ms=-5), "latency_ms is negative"),
    ("latency over an hour", w("v2", latency_ms=4_000_000), "latency_ms is negative or above one hour"),
    ("negative tokens", w("v3", input_tokens=-1), "input_tokens is negative"),
    ("absurd tokens", w("v4", output_tokens=5_000_000), "output_tokens is negative or above"),
    ("negative cost", w("v5", est_cost_usd=-0.5), "cost_usd is negative"),
    ("feedback out of set", w("v6", feedback=3), "feedback is not +1 or -1"),
    ("future timestamp", w("v7", ts="2099-01-01T00:00:00Z"), "in the future"),
    ("epoch zero", w("v8", ts="1970-01-01T00:00:00Z"), "before 2015"),
    ("no timestamp", w("v9", ts="<drop>"), "timestamp is missing"),
    ("no model", w("v10", model="<drop>"), "model is missing"),
    ("empty model", w("v11", model=""), "model name is empty"),
    ("no input", w("v12", prompt="<drop>"), "input (prompt/messages) is missing"),
    ("empty input", w("v13", prompt=""), "input is empty"),
    ("ok without output", w("v14", response=None), "a successful call has no output"),
    ("long model", w("v15", model="m" * 300), "model name is empty or longer"),
    (
        "input past any context window",
        w("v17", prompt="x" * (MAX_TEXT_CHARS + 1)),
        "input is empty or longer",
    ),
    ("long app", w("v16", app="a" * 300), "app name is longer"),
    (
        "duplicate id",
        json.dumps(wrapper(request_id="req_ok", response="again")),
        "duplicate log id wrapper:req_ok",
    ),
]


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n")
    return path


def quarantined(store: Store, batch: BatchSummary) -> dict[int, list[str]]:
    rows = store.rows("SELECT position, reasons FROM quarantine WHERE batch_id = ?", [batch.batch_id])
    return {r["position"]: r["reasons"] for r in rows}


def test_each_malformed_wrapper_kind_is_quarantined_with_its_reason(store: Store, tmp_path: Path) -> None:
    assert len(WRAPPER_CASES) >= 40
    good = json.dumps(wrapper())
    lines: list[str | bytes] = [good] + [line for _, line, _ in WRAPPER_CASES]
    batch = ingest_file(
        store, write_lines(tmp_path / "bad.jsonl", lines), "wrapper", KEEP_ALL, redactor=Redactor()
    )
    reasons = quarantined(store, batch)
    for position, (kind, _, expected) in enumerate(WRAPPER_CASES, start=2):
        assert position in reasons, f"{kind}: not quarantined"
        assert any(expected in r for r in reasons[position]), f"{kind}: {reasons[position]}"
    assert batch.stored == 1 and batch.quarantined == len(WRAPPER_CASES)
    assert batch.seen == len(lines) and batch.reconciles()


def test_a_row_gets_every_reason_it_fails(store: Store, tmp_path: Path) -> None:
    line = w("multi", latency_ms=-1, feedback=7, model="")
    batch = ingest_file(
        store, write_lines(tmp_path / "m.jsonl", [line]), "wrapper", KEEP_ALL, redactor=Redactor()
    )
    [reasons] = quarantined(store, batch).values()
    assert len(reasons) == 3 and batch.reconciles()


def openai_record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "log_ok",
        "created_at": "2026-11-16T10:00:00Z",
        "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "q"}]},
        "response": {
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "a"}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1},
        },
        "latency_ms": 800,
        "error": None,
        "metadata": {"app": "helpdesk"},
    }
    record.update(overrides)
    return record


OPENAI_CASES: list[tuple[str, str, str]] = [
    (
        "usage string",
        json.dumps(
            openai_record(id="o1", response={**openai_record()["response"], "usage": {"prompt_tokens": "5"}})
        ),
        "prompt_tokens: expected an integer",
    ),
    (
        "created_at words",
        json.dumps(openai_record(id="o2", created_at="last tuesday")),
        "created_at: expected a timestamp",
    ),
    ("no request", json.dumps({"id": "o3", "response": openai_record()["response"]}), "model is missing"),
    (
        "metadata feedback string",
        json.dumps(openai_record(id="o4", metadata={"feedback": "bad"})),
        "feedback: expected an integer",
    ),
    ("not openai", json.dumps({"model": "x", "prompt": "p"}), "not a openai record"),
]


def test_malformed_openai_records(store: Store, tmp_path: Path) -> None:
    lines: list[str | bytes] = [json.dumps(openai_record())] + [line for _, line, _ in OPENAI_CASES]
    batch = ingest_file(
        store, write_lines(tmp_path / "o.jsonl", lines), "openai", KEEP_ALL, redactor=Redactor()
    )
    reasons = quarantined(store, batch)
    for position, (kind, _, expected) in enumerate(OPENAI_CASES, start=2):
        assert any(expected in r for r in reasons.get(position, [])), f"{kind}: {reasons.get(position)}"
    assert batch.stored == 1 and batch.reconciles()


def attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {"key": key, "value": {"arrayValue": {"values": [{"stringValue": v} for v in value]}}}
    kind = "intValue" if key.startswith("gen_ai.usage") or key == "app.feedback" else "stringValue"
    return {"key": key, "value": {kind: value}}


def span(span_id: str, **attrs: Any) -> dict[str, Any]:
    base = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": "10",
        "gen_ai.usage.output_tokens": "2",
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": "q"}]}]),
        "gen_ai.output.messages": json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": "a"}]}]
        ),
    }
    base.update(attrs)
    return {
        "traceId": "t" * 32,
        "spanId": span_id,
        "name": "chat",
        "startTimeUnixNano": "1763284443000000000",
        "endTimeUnixNano": "1763284443900000000",
        "attributes": [attr(k, v) for k, v in base.items()],
    }


def export(*spans: dict[str, Any]) -> str:
    return json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": [attr("service.name", "helpdesk")]},
                    "scopeSpans": [{"scope": {"name": "x"}, "spans": list(spans)}],
                }
            ]
        }
    )


def test_malformed_otel_spans_and_skips(store: Store, tmp_path: Path) -> None:
    db_span = {
        "traceId": "t" * 32,
        "spanId": "db",
        "name": "SELECT",
        "startTimeUnixNano": "1",
        "endTimeUnixNano": "2",
        "attributes": [attr("db.system", "postgresql")],
    }
    bad_tokens = span("s2", **{"gen_ai.usage.input_tokens": "lots"})
    bad_time = {**span("s3"), "startTimeUnixNano": "soon"}
    lines: list[str | bytes] = [
        export(span("s1"), db_span, bad_tokens),
        export(bad_time),
        export(),
        '{"resourceSpans": [',
        export(span("s1")),
    ]
    batch = ingest_file(
        store, write_lines(tmp_path / "spans.jsonl", lines), "otel", KEEP_ALL, redactor=Redactor()
    )
    reasons = [r for rs in quarantined(store, batch).values() for r in rs]
    assert any("input_tokens: expected an integer" in r for r in reasons)
    assert any("start: expected an integer" in r for r in reasons)
    assert any("invalid JSON" in r for r in reasons)
    assert any("duplicate log id otel:" in r for r in reasons)
    assert batch.skipped_kinds == {"OTLP export without spans": 1, "span is not a GenAI call": 1}
    assert batch.stored == 1 and batch.seen == 7 and batch.reconciles()


def test_a_long_context_call_is_stored_not_quarantined(store: Store, tmp_path: Path) -> None:
    """A 200k-token RAG prompt (~800k characters) is a real call: it is stored whole."""
    prompt = "<context>" + "Refunds take 5 days. " * 38_000 + "</context><question>How long?</question>"
    path = write_lines(tmp_path / "long.jsonl", [w("long", prompt=prompt)])
    batch = ingest_file(store, path, "wrapper", KEEP_ALL, redactor=Redactor())
    [row] = store.rows("SELECT length(input_text) AS n, question FROM logs")
    assert batch.stored == 1 and row["n"] == len(prompt) > 790_000 and row["question"] == "How long?"
