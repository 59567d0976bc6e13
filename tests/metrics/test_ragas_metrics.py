"""ragas metrics end to end through the real OpenAI / Anthropic SDKs against sim-serve, and without LLM."""

from __future__ import annotations

import asyncio
import math

import pytest
from metric_fixtures import items, make_settings, sdk_model, set_sim_key

from paritylab.config import Settings
from paritylab.metrics.base import MetricContext, Score
from paritylab.metrics.registry import build_metric
from paritylab.sim.server import RunningServer, SimServer, start_in_thread

LLM_METRICS = ["faithfulness", "answer_relevancy", "ragas_rubric"]


def run(name: str, settings: Settings) -> list[Score]:
    return asyncio.run(build_metric(name, settings).score(items(), MetricContext(settings)))


@pytest.mark.parametrize("flavour", ["openai", "anthropic"])
def test_llm_metrics_through_the_sdks(
    sim: RunningServer, monkeypatch: pytest.MonkeyPatch, flavour: str
) -> None:
    set_sim_key(monkeypatch)
    settings = make_settings(judge="sdk-judge", sdk_judge=sdk_model(sim, flavour))
    faith, relevancy, rubric = (run(n, settings) for n in LLM_METRICS)
    route = "/v1/chat/completions" if flavour == "openai" else "/v1/messages"
    assert sim.app.stats[route] > 0 and sim.app.stats["outcome:ok"] == sim.app.stats[route]
    good, halluc, refusal, nocontext = faith
    assert (good.value, halluc.value, refusal.value) == (1.0, 0.5, 0.0)  # 1 of 2 statements supported
    assert nocontext.status == "skipped"
    assert relevancy[2].value == 0.0  # the refusal is noncommittal
    assert all(s.status == "ok" and 0.0 <= (s.value or 0) <= 1.0 for s in relevancy)
    assert [s.label for s in rubric] == ["5", "4", "1", "5"]
    assert rubric[0].value == 1.0 and "SIMULATED" in rubric[0].rationale
    for s in faith + relevancy + rubric:
        assert s.status == "skipped" or (s.judge == "sdk-judge" and s.simulated)


def test_sim_judge_model_gets_a_private_loopback_server() -> None:
    """With a `sim` judge (no HTTP endpoint) ragas still runs offline, through a private sim-serve."""
    out = run("faithfulness", make_settings())
    assert [s.value for s in out[:3]] == [1.0, 0.5, 0.0] and all(s.simulated for s in out[:3])


def test_garbage_structured_output_becomes_judge_error_never_nan(monkeypatch: pytest.MonkeyPatch) -> None:
    set_sim_key(monkeypatch)
    from tests_support import TEST_KEY

    server = start_in_thread(SimServer(latency_ms=1.0, require_key=TEST_KEY, judge_garbage=1.0))
    try:
        for flavour in ("openai", "anthropic"):
            settings = make_settings(judge="sdk-judge", sdk_judge=sdk_model(server, flavour))
            out = run("ragas_rubric", settings)
            assert all(s.status == "judge_error" and s.value is None and s.error for s in out)
            assert all(s.error and "SIMJUDGE" not in s.error for s in out)
    finally:
        server.stop()


def test_unreachable_endpoint_is_a_judge_error(monkeypatch: pytest.MonkeyPatch) -> None:
    set_sim_key(monkeypatch)
    dead = {
        "provider": "openai",
        "model": "m",
        "base_url": "http://127.0.0.1:9/v1",
        "api_key_env": "SIMJUDGE_TEST_KEY",
        "timeout_s": 2,
    }
    out = run("faithfulness", make_settings(judge="dead", dead=dead))
    assert [s.status for s in out] == ["judge_error"] * 3 + ["skipped"]
    assert all("Connection" in (s.error or "") for s in out[:3])


def test_non_llm_metrics() -> None:
    settings = make_settings()
    scores = {
        n: run(n, settings)
        for n in ("rouge", "chrf", "string_similarity", "exact_match", "context_precision", "context_recall")
    }
    for name, out in scores.items():
        assert [s.status for s in out] == ["ok", "ok", "skipped", "skipped"], name
        assert all(s.judge is None and not s.simulated for s in out)
        good, halluc = out[0].value, out[1].value
        assert good is not None and halluc is not None and not math.isnan(good)
        if name not in ("exact_match", "context_precision", "context_recall"):
            assert good > halluc, name  # the extra claim moves the answer away from the reference
    assert scores["exact_match"][0].value == 0.0
    off_topic = items()[0].__class__(
        "x", "q", "a", "Orders ship from Berlin.", "Refunds take 5 business days."
    )
    [recall] = asyncio.run(
        build_metric("context_recall", settings).score([off_topic], MetricContext(settings))
    )
    assert recall.value == 0.0  # the reference is nowhere in the retrieved context


def test_exact_match_and_context_recall_hit() -> None:
    from dataclasses import replace

    from metric_fixtures import CONTEXT, GOOD

    item = replace(items()[0], reference=GOOD)
    settings = make_settings()
    for name in ("exact_match", "context_recall"):
        [s] = asyncio.run(build_metric(name, settings).score([item], MetricContext(settings)))
        assert s.value == 1.0, name
    assert GOOD in CONTEXT
