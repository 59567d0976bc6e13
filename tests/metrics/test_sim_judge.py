"""The sim judge: schema-valid structured output for ragas' models, garbage at the configured rate,
JSON-schema requests on the wire, and the [metrics] config section."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import BaseModel
from tests_support import TEST_KEY

from paritylab.config import Settings
from paritylab.errors import ConfigError
from paritylab.providers.base import ChatRequest
from paritylab.sim.judge import judge_reply
from paritylab.sim.profiles import get_profile
from paritylab.sim.server import RunningServer
from paritylab.sim.structured import minimal_instance, structured_reply


def ragas_models() -> list[type[BaseModel]]:
    from ragas.metrics._domain_specific_rubrics import ScoreFeedback
    from ragas.metrics.collections.answer_relevancy.util import AnswerRelevanceOutput
    from ragas.metrics.collections.faithfulness.util import NLIStatementOutput, StatementGeneratorOutput

    return [StatementGeneratorOutput, NLIStatementOutput, AnswerRelevanceOutput, ScoreFeedback]


def test_structured_replies_validate_against_ragas_models() -> None:
    prompt = (
        'examples... input: {"bad": 1}\n---\nNow perform the same with the following input\ninput: '
        + json.dumps(
            {
                "question": "q",
                "answer": "Refunds take 5 days. Ships from Berlin.",
                "context": "Refunds take 5 days.",
                "statements": ["Refunds take 5 days.", "Ships from Berlin."],
                "response": "Refunds take 5 days.",
            }
        )
        + "\nOutput: "
    )
    for model in ragas_models():
        reply = structured_reply(model.model_json_schema(), prompt)
        model.model_validate(reply)  # raises if not schema-valid
    nli = structured_reply(ragas_models()[1].model_json_schema(), prompt)
    assert [s["verdict"] for s in nli["statements"]] == [1, 0]


def test_minimal_instance_for_unknown_schemas() -> None:
    class Inner(BaseModel):
        flag: bool
        tags: list[str]

    class Unknown(BaseModel):
        name: str
        count: int
        inner: Inner
        maybe: float | None = None

    schema = Unknown.model_json_schema()
    Unknown.model_validate(minimal_instance(schema, schema.get("$defs", {})))


def test_garbage_rate_is_close_to_the_profile_rate() -> None:
    noisy = get_profile("judge-noisy")
    prompt = "paritylab judge task: rubric\nScale: integers from 1 (worst) to 5 (best)."
    bad = 0
    for i in range(2000):
        request = ChatRequest.user(prompt + f" {i}")
        reply = judge_reply(noisy, request, None, f"key-{i}")
        assert reply is not None
        try:
            ok = isinstance(json.loads(reply).get("score"), int) and 1 <= json.loads(reply)["score"] <= 5
        except (json.JSONDecodeError, AttributeError):
            ok = False
        bad += not ok or "rationale" not in reply
    assert 0.25 < bad / 2000 < 0.35


def test_plain_prompts_are_not_judged() -> None:
    assert judge_reply(get_profile("judge"), ChatRequest.user("hello"), None, "k") is None


def test_openai_json_schema_response_format(sim: RunningServer) -> None:
    schema = {
        "title": "Verdict",
        "type": "object",
        "properties": {"value": {"enum": ["pass", "fail"]}, "reason": {"type": "string"}},
    }
    body = {
        "model": "sim-judge",
        "messages": [{"role": "user", "content": "Judge this."}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "Verdict", "schema": schema}},
    }
    reply = httpx.post(
        f"{sim.url}/v1/chat/completions", json=body, headers={"authorization": f"Bearer {TEST_KEY}"}
    )
    content = json.loads(reply.json()["choices"][0]["message"]["content"])
    assert content["value"] in ("pass", "fail") and "SIMULATED" in content["reason"]


def test_anthropic_tool_choice_names_an_unknown_tool_is_a_400(sim: RunningServer) -> None:
    body = {
        "model": "sim-judge",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "x"}],
        "tools": [{"name": "a", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "tool", "name": "b"},
    }
    reply = httpx.post(f"{sim.url}/v1/messages", json=body, headers={"x-api-key": TEST_KEY})
    assert reply.status_code == 400 and "not among the tools" in reply.text


def test_metrics_config_rejects_unknown_names_and_keys() -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        Settings.model_validate({"metrics": {"enabled": ["rubrik"]}})
    with pytest.raises(ValueError, match="ragas_model"):
        Settings.model_validate({"metrics": {"ragas_model": "nope"}})


def test_metrics_config_typo_gets_a_suggestion(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from paritylab.config import load_settings

    path = tmp_path / "p.toml"
    path.write_text("[metrics]\nenabeld = ['rubric']\n[metrics.rubric]\nscale_mx = 7\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert "did you mean 'enabled'" in str(err.value) and "did you mean 'scale_max'" in str(err.value)


def test_demo_config_metrics_are_valid() -> None:
    from pathlib import Path

    from paritylab.config import load_settings
    from paritylab.metrics.registry import enabled_metrics

    settings = load_settings(Path(__file__).parents[2] / "paritylab.toml", env={})
    assert [m.name for m in enabled_metrics(settings)] == list(settings.metrics.enabled)
