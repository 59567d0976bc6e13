"""The scan's sampling decision on every shape a record's sampling fields can take.

The scan keeps a wrapper or OpenAI row unless its fields plainly say success (it compares their JSON
texts, it does not type them); the full parse then types them and samples again. Whatever the values,
the rows stored and quarantined must be exactly those of the seeded rule applied to fully parsed rows."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paritylab.config import IngestConfig
from paritylab.ingest.pipeline import ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.store import Store, open_store
from tests.ingest.test_ingest_pipeline import _u

ABSENT = object()  # the key left out of the record
# Each field's values: typed right and wrong, integral doubles, strings holding numbers, escapes, nulls.
FEEDBACK = [None, 1, -1, 1.0, -1.0, "1", "-1", True, 0, 2, [1], 1.5]
LATENCY = [120, 2600, 1e3, 2.6e3, "120", True, None, -5, 2500, 2500.5, {"ms": 1}, "2.6e3"]
ERROR = [None, "RateLimitError: 429", {"type": "Timeout", "message": "m"}, "", 5, {"code": "E1"}]
GUARDRAILS = [[], ["pii"], "pii", {}, [1], None, [None], ["a", "b"]]
FINISH = ["stop", "length", "LENGTH", "len\u0067th", "max_tokens", 5, None, "content_filter"]
WRAPPER = {
    "feedback": FEEDBACK,
    "latency_ms": LATENCY,
    "ok": [True, False, "false", "true", 0, 1, None],
    "error": ERROR,
    "guardrails": GUARDRAILS,
    "finish_reason": FINISH,
}


def _id(i: int) -> Any:
    """Ids as logs write them: plain, with escapes or non-ASCII text, numbers, and wrong types."""
    return [f"req-{i}", f'q"{i}', f"réq-{i}", 10_000 + i, 0.5 + i, f"r\\{i}", True, {"n": i}, ABSENT][i % 9]


def _wrapper(i: int, values: dict[str, Any]) -> dict[str, Any]:
    record = {"ts": "2026-11-16T09:00:00Z", "model": "m", "prompt": f"question {i}", "response": "an answer"}
    record["request_id"] = _id(i)
    if i % 13 == 0:  # an `id`, and a request_id that is null: the null one counts (no id, a hash)
        record["id"], record["request_id"] = f"x{i}", None
    return record | values


def _response(i: int, finish: Any) -> Any:
    """A chat completion, or a failed call's body, or no response at all, or one of a wrong type."""
    choice = {"index": 0, "message": {"role": "assistant", "content": "an answer"}, "finish_reason": finish}
    if finish is ABSENT:
        del choice["finish_reason"]
    shapes = [{"choices": [choice]}, None, ABSENT, {"error": {"message": "overloaded"}}, "an answer", [1],
              {"error": None, "choices": [choice]}, {"choices": [choice], "error": 5}]  # fmt: skip
    return shapes[i % len(shapes)] if i % 3 == 0 else shapes[0]


def _openai(i: int, values: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k in ("feedback", "guardrails") if (v := values.pop(k)) is not ABSENT}
    if i % 17 == 0:
        metadata = ["not", "an", "object"] if i % 2 else "app=helpdesk"  # type: ignore[assignment]
    return {
        "id": _id(i),
        "created_at": "2026-11-16T10:00:00Z",
        "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"question {i}"}]},
        "response": _response(i, values.pop("finish_reason")),
        "metadata": metadata,
        **values,
    }


OPENAI = {k: v for k, v in WRAPPER.items() if k != "ok"}
FORMATS: dict[str, tuple[Callable[[int, dict[str, Any]], dict[str, Any]], dict[str, list[Any]]]] = {
    "wrapper": (_wrapper, WRAPPER),
    "openai": (_openai, OPENAI),
}


def _lines(fmt: str, n: int) -> list[str]:
    """`n` records, each field cycling through its shapes at its own pace (so the combinations vary),
    with \\u escapes in half of the lines."""
    make, shapes = FORMATS[fmt]
    columns = {name: itertools.cycle([*values, ABSENT]) for name, values in shapes.items()}
    lines = []
    for i in range(n):
        record = make(i, {name: next(values) for name, values in columns.items()})
        record = {k: v for k, v in record.items() if v is not ABSENT}
        lines.append(json.dumps(record, ensure_ascii=i % 2 == 0))
    return lines


@pytest.mark.parametrize("fmt", ["wrapper", "openai"])
def test_the_sample_is_the_seeded_rule_on_fully_parsed_rows_whatever_the_field_shapes(
    tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"{fmt}.jsonl"
    path.write_text("\n".join(_lines(fmt, 1500)) + "\n")
    full = IngestConfig(sample_rate=1.0, latency_slo_ms=2500)
    sampled = IngestConfig(sample_rate=0.3, seed=7, latency_slo_ms=2500)
    with open_store(tmp_path / "full.duckdb") as a, open_store(tmp_path / "sampled.duckdb") as b:
        everything = ingest_file(a, path, fmt, full, redactor=Redactor())
        some = ingest_file(b, path, fmt, sampled, redactor=Redactor())
        rows = a.rows("SELECT log_id, kept_because FROM logs")
        expected = {r["log_id"] for r in rows if r["kept_because"] != "sampled" or _u(7, r["log_id"]) < 0.3}
        kept = {r["log_id"] for r in b.rows("SELECT log_id FROM logs")}
        (typed, checked), (typed_sampled, checked_sampled) = _quarantine(a), _quarantine(b)
    assert kept == expected and 0 < len(kept) < everything.stored
    assert {"error", "negative_feedback", "guardrail", "slow", "sampled"} <= {r["kept_because"] for r in rows}
    assert some.reconciles() and some.seen == everything.seen == 1500
    # a wrong type in a sampling field is quarantined at any rate; Great Expectations checks (a feedback
    # of 0) only the rows to be stored
    assert typed_sampled == typed and len(typed) > 100
    assert checked_sampled < checked
    reasons = " ".join(r for found in typed.values() for r in found)
    for name in ("feedback", "guardrails", "latency_ms", "ok" if fmt == "wrapper" else "id"):
        assert f"{name}: expected" in reasons


def _quarantine(db: Store) -> tuple[dict[int, list[str]], set[int]]:
    """Rows quarantined for a field's type (position: reasons), and the positions Great Expectations
    rejected."""
    rows = db.rows("SELECT position, reasons FROM quarantine")
    typed = {r["position"]: r["reasons"] for r in rows if any(": expected" in x for x in r["reasons"])}
    return typed, {r["position"] for r in rows} - set(typed)
