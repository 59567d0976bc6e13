"""SDK clients for ragas' LLM metrics, pointed at a configured model.

ragas calls the OpenAI / Anthropic SDKs itself (through instructor), so these calls bypass the Runner:
they are bounded here (a semaphore), time out and retry inside the SDK, and every failure becomes a
judge_error Score. A `sim` model has no HTTP endpoint, so a private loopback sim-serve is started for it
for the duration of the metric: the whole path still runs offline and is labelled SIMULATED.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from paritylab.config import Settings, expand_env
from paritylab.errors import ConfigError
from paritylab.sim.server import RunningServer

SDK_RETRIES = 2  # the SDK's own retries on 429/5xx (honouring Retry-After); ragas has no retry of its own


@dataclass
class Endpoint:
    """Where ragas' SDK client goes: flavour, url, key, model id; and the private sim server if any."""

    model_name: str
    flavour: str  # openai | anthropic
    base_url: str | None
    api_key: str
    model: str
    timeout_s: float
    simulated: bool
    server: RunningServer | None = None

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def ragas_model_name(settings: Settings) -> str:
    name = settings.metrics.ragas_model or settings.judge
    if name is None:
        raise ConfigError(
            "ragas LLM metrics need a model", hint='set judge = "<[models] entry>" or metrics.ragas_model'
        )
    return name


def open_endpoint(settings: Settings, env: dict[str, str] | None = None) -> Endpoint:
    from paritylab.providers.factory import resolve_api_key

    env = dict(os.environ) if env is None else env
    name = ragas_model_name(settings)
    cfg = settings.models[name]
    if cfg.provider == "sim":
        from paritylab.sim.server import SimServer, start_in_thread

        key = secrets.token_hex(16)
        server = start_in_thread(SimServer(require_key=key))
        model = f"sim-{cfg.profile}" if cfg.profile else cfg.model
        return Endpoint(name, "openai", f"{server.url}/v1", key, model, cfg.timeout_s, True, server)
    key = resolve_api_key(name, cfg, env) or ""
    base_url = expand_env(cfg.base_url, env) if cfg.base_url else None
    flavour = "anthropic" if cfg.provider == "anthropic" else "openai"
    # sim-serve's model ids start with "sim-": those answers are simulated even through a real SDK.
    simulated = cfg.model.startswith("sim-")
    return Endpoint(name, flavour, base_url, key, cfg.model, cfg.timeout_s, simulated)


def ragas_llm(endpoint: Endpoint) -> tuple[Any, Any]:
    """(ragas InstructorLLM, the SDK client to close afterwards)."""
    from ragas.llms import llm_factory

    if endpoint.flavour == "anthropic":
        from anthropic import AsyncAnthropic

        client: Any = AsyncAnthropic(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            timeout=endpoint.timeout_s,
            max_retries=SDK_RETRIES,
        )
        llm = llm_factory(endpoint.model, provider="anthropic", client=client)
        # anthropic 2.x rejects temperature together with top_p; ragas sets both by default.
        llm.model_args.pop("temperature", None)
        llm.model_args.pop("top_p", None)
        return llm, client
    from openai import AsyncOpenAI

    client = AsyncOpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        timeout=endpoint.timeout_s,
        max_retries=SDK_RETRIES,
    )
    return llm_factory(endpoint.model, client=client), client
