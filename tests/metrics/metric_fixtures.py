"""Settings and items for the metric tests: an in-process sim judge, a noisy one, and SDK judges that
reach the session's sim-serve through the real OpenAI and Anthropic SDKs."""

from __future__ import annotations

from typing import Any

import pytest
from tests_support import TEST_KEY

from paritylab.config import Settings
from paritylab.metrics.base import EvalItem
from paritylab.sim.server import RunningServer

CONTEXT = (
    "Refunds are issued within 5 business days of the return arriving. Orders ship from our Berlin "
    "warehouse. You can cancel an order within 24 hours of purchase from the Orders page."
)
GOOD = "Refunds are issued within 5 business days of the return arriving."
HALLUCINATED = f"{GOOD} All plans also include free lifetime phone support at no extra charge."
REFUSAL = "I'm sorry, but I can't help with that request."


def items() -> list[EvalItem]:
    q = "How long do refunds take?"
    return [
        EvalItem("c-good", q, GOOD, CONTEXT, "Refunds take 5 business days after the return arrives."),
        EvalItem(
            "c-halluc", q, HALLUCINATED, CONTEXT, "Refunds take 5 business days after the return arrives."
        ),
        EvalItem("c-refusal", "Can I cancel my order?", REFUSAL, CONTEXT, None),
        EvalItem("c-nocontext", "Where do orders ship from?", "Orders ship from Berlin.", None, None),
    ]


def make_settings(judge: str = "sim-judge", metrics: dict[str, Any] | None = None, **models: Any) -> Settings:
    base: dict[str, Any] = {
        "sim-judge": {"provider": "sim", "model": "sim-judge", "profile": "judge", "concurrency": 64},
        "sim-judge-noisy": {
            "provider": "sim",
            "model": "sim-judge-noisy",
            "profile": "judge-noisy",
            "concurrency": 128,
        },
    }
    for name, cfg in models.items():
        base[name.replace("_", "-")] = cfg
    return Settings.model_validate({"judge": judge, "models": base, "metrics": metrics or {}})


def sdk_model(server: RunningServer, flavour: str, model: str = "sim-judge") -> dict[str, Any]:
    base = f"{server.url}/v1" if flavour == "openai" else server.url
    return {
        "provider": flavour,
        "model": model,
        "base_url": base,
        "api_key_env": "SIMJUDGE_TEST_KEY",
        "timeout_s": 60,  # a hang guard: answers over loopback took seconds on a slow CI machine
        "max_retries": 1,
        "backoff_base_s": 0.05,
    }


def set_sim_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sim-serve key in the variable the SDK models name: ragas' clients read the environment."""
    monkeypatch.setenv("SIMJUDGE_TEST_KEY", TEST_KEY)
