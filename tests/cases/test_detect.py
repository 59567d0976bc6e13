"""Failure detection: each kind with its evidence, windows, and the online-score hook."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paritylab.cases import Window, mine_failures
from paritylab.cases.detect import scan_failures
from paritylab.config import Settings
from paritylab.errors import ConfigError
from paritylab.store import Store, open_store
from tests.cases.helpers import make_settings

T0 = datetime(2026, 11, 16, 9, tzinfo=UTC)


def add_log(db: Store, log_id: str, minutes: int = 0, **fields: Any) -> None:
    row = {
        "log_id": log_id,
        "ts": T0 + timedelta(minutes=minutes),
        "app": "helpdesk",
        "status": "ok",
        "question": f"question of {log_id}?",
        "output_text": "Fine answer.",
        "latency_ms": 500.0,
        "kept_because": "test",
        "source_format": "test",
        "source": "test",
        "position": 0,
        "batch_id": "b",
        "context": json.dumps(["Doc one.", "Doc two."]),
    } | fields
    cols = ", ".join(row)
    db.execute(f"INSERT INTO stored_logs ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def kinds_of(db: Store, settings: Settings, window: Window, **kw: Any) -> dict[str, list[str]]:
    scan = scan_failures(db, settings.cases, 10_000, window, **kw)
    return {f.log_id: f.kinds for f in scan.failures}


@pytest.fixture
def db(settings: Settings) -> Any:
    with open_store(settings.store) as store:
        yield store


def test_every_kind_is_detected_with_evidence(db: Store, tmp_path: Path) -> None:
    schema = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}}
    settings = make_settings(tmp_path, output_schemas={"json-app": schema})
    add_log(db, "ok")
    add_log(db, "err", status="error", error="InternalServerError: 500", output_text=None)
    add_log(db, "tmo", status="error", error="APITimeoutError: Request timed out.", latency_ms=30000.0)
    add_log(db, "guard", guardrail_flags=["prompt_injection"])
    add_log(db, "refuse", output_text="I'm sorry, but I can't help with that request.")
    add_log(db, "thumbs", feedback=-1)
    add_log(db, "slow", latency_ms=12_000.0)
    add_log(db, "cut", finish_reason="length")
    add_log(db, "badjson", app="json-app", output_text='{"answer": 3}')
    add_log(db, "notjson", app="json-app", output_text="plain text")
    add_log(db, "goodjson", app="json-app", output_text='{"answer": "yes"}')
    scan = scan_failures(db, settings.cases, 10_000, Window())
    found = {f.log_id: f for f in scan.failures}
    assert {k: v.kinds for k, v in found.items()} == {
        "err": ["provider_error"],
        "tmo": ["timeout", "slow"],
        "guard": ["guardrail"],
        "refuse": ["refusal"],
        "thumbs": ["negative_feedback"],
        "slow": ["slow"],
        "cut": ["truncated"],
        "badjson": ["invalid_output_schema"],
        "notjson": ["invalid_output_schema"],
    }
    assert found["err"].evidence["provider_error"] == {"error": "InternalServerError: 500"}
    assert found["guard"].evidence["guardrail"] == {"flags": ["prompt_injection"]}
    assert "can't help" in found["refuse"].evidence["refusal"]["matched"]
    assert found["slow"].evidence["slow"] == {"latency_ms": 12_000.0, "slo_ms": 10_000}
    assert "answer: 3 is not of type 'string'" in found["badjson"].evidence["invalid_output_schema"]["error"]
    assert "not JSON" in found["notjson"].evidence["invalid_output_schema"]["error"]
    assert found["err"].context == "Doc one.\n\nDoc two."


def test_low_online_scores_from_the_scores_table_and_from_the_caller(db: Store, settings: Settings) -> None:
    add_log(db, "a")
    add_log(db, "b")
    add_log(db, "c")
    db.execute("""INSERT INTO scores (run_id, case_id, candidate_id, metric, value, status, created_at)
                  VALUES ('online-1', 'a', 'production', 'faithfulness', 0.2, 'ok', now()),
                         ('online-1', 'c', 'production', 'faithfulness', 0.9, 'ok', now()),
                         ('offline', 'c', 'cand-x', 'faithfulness', 0.1, 'ok', now())""")
    scan = scan_failures(
        db, settings.cases, 10_000, Window(), low_scores=[("b", "relevancy", 0.1), ("c", "x", 0.7)]
    )
    found = {f.log_id: f for f in scan.failures}
    assert {k: f.kinds for k, f in found.items()} == {"a": ["low_online_score"], "b": ["low_online_score"]}
    assert found["a"].evidence["low_online_score"] == {
        "scores": [{"metric": "faithfulness", "value": 0.2}],
        "threshold": 0.5,
    }


def test_window_bounds_are_start_inclusive_end_exclusive(db: Store, settings: Settings) -> None:
    for minute in (0, 10, 20):
        add_log(db, f"m{minute}", minute, feedback=-1)
    window = Window(T0 + timedelta(minutes=10), T0 + timedelta(minutes=20))
    assert list(kinds_of(db, settings, window)) == ["m10"]


def test_failing_logs_without_a_question_are_counted_not_dropped(db: Store, settings: Settings) -> None:
    add_log(db, "blank", question=None, input_text=None, feedback=-1)
    scan = scan_failures(db, settings.cases, 10_000, Window())
    assert scan.without_question == 1 and scan.failures == []


def test_a_bad_refusal_pattern_is_a_config_error(db: Store, tmp_path: Path) -> None:
    add_log(db, "x")
    settings = make_settings(tmp_path, refusal_patterns=["(unclosed"])
    with pytest.raises(ConfigError, match="refusal_patterns"):
        scan_failures(db, settings.cases, 10_000, Window())


def test_low_score_hook_reaches_a_dataset_version(db: Store, settings: Settings) -> None:
    add_log(db, "q1", question="Why is my webhook not retried?")
    result = mine_failures(db, settings, low_scores=[("q1", "faithfulness", 0.1)])
    assert result.version is not None and result.kinds == {"low_online_score": 1}
    [case] = result.new_cases
    row = db.rows(
        "SELECT failure_kind, origin_log_ids FROM eval_cases WHERE case_id = ? AND version = 2", [case]
    )
    assert row == [{"failure_kind": "low_online_score", "origin_log_ids": ["q1"]}]
