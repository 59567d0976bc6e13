"""The in-process `sim` provider: the simulated model with its latency and injected faults, no HTTP."""

from __future__ import annotations

import asyncio

from paritylab.errors import MalformedResponse, ProviderTimeout, RateLimited, TransientProviderError
from paritylab.providers.base import ChatRequest, Completion
from paritylab.sim.faults import FaultPlan
from paritylab.sim.model import SimModel
from paritylab.sim.profiles import SimProfile


class SimProvider:
    kind = "sim"

    def __init__(self, profile: SimProfile, faults: FaultPlan | None = None, wait_scale: float = 1.0) -> None:
        self.model = SimModel(profile)
        self.faults = faults or FaultPlan()
        # How much of the simulated latency is really waited (0: answer at once). The reported latency is
        # the simulated one either way, so latency comparisons do not change; benchmarks use 0.
        self.wait_scale = wait_scale

    async def generate(self, model: str, request: ChatRequest, timeout_s: float) -> Completion:
        profile = self.model.profile
        outcome = self.faults.decide(self.model.request_key(request), profile.faults)
        if outcome == "timeout":
            await asyncio.sleep(timeout_s)
            raise ProviderTimeout(f"sim model {model} did not answer within {timeout_s} s")
        if outcome == "rate_limit":
            raise RateLimited("sim: 429 rate limited", status=429, retry_after_s=profile.faults.retry_after_s)
        if outcome == "server_error":
            raise TransientProviderError("sim: 500 internal server error", status=500)
        if outcome == "malformed":
            raise MalformedResponse("sim: response body was truncated JSON", status=200)
        reply = self.model.respond(request)
        await asyncio.sleep(reply.latency_ms / 1000 * self.wait_scale)
        return Completion(
            text=reply.text,
            input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens,
            latency_ms=reply.latency_ms,
            stop_reason=reply.stop_reason,
            model=model,
            simulated=True,
        )

    async def aclose(self) -> None:
        return None
