"""Anthropic Messages through the official SDK."""

from __future__ import annotations

import inspect
import json
import time
from typing import Any

from paritylab.errors import MalformedResponse
from paritylab.providers.base import ChatRequest, Completion
from paritylab.providers.classify import classify_sdk_error
from paritylab.providers.http import sdk_http_client
from paritylab.providers.openai_adapter import SIMULATED_HEADER


class AnthropicProvider:
    kind = "anthropic"

    def __init__(self, api_key: str, base_url: str | None, timeout_s: float, concurrency: int = 8) -> None:
        import anthropic

        self._sdk = anthropic
        self._secrets = [api_key]
        # max_retries=0: the runner owns retries (see OpenAIProvider).
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,
            http_client=sdk_http_client(anthropic, timeout_s, concurrency),
        )

    @staticmethod
    def _body(model: str, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }
        # The anthropic 2.x Messages API has no sampling parameters: temperature/top_p are not sent.
        if request.system:
            body["system"] = request.system
        if request.stop:
            body["stop_sequences"] = list(request.stop)
        return body

    async def generate(self, model: str, request: ChatRequest, timeout_s: float) -> Completion:
        started = time.perf_counter()
        try:
            raw = await self._client.messages.with_raw_response.create(
                **self._body(model, request), timeout=timeout_s
            )
            parsed = raw.parse()
            if inspect.isawaitable(parsed):
                parsed = await parsed
        except (self._sdk.APIError, json.JSONDecodeError) as exc:
            raise classify_sdk_error(exc, self._sdk, self._secrets) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        return _completion(parsed, latency_ms, simulated=raw.headers.get(SIMULATED_HEADER) == "1")

    async def aclose(self) -> None:
        await self._client.close()


def _completion(parsed: Any, latency_ms: float, simulated: bool) -> Completion:
    blocks = getattr(parsed, "content", None)
    usage = getattr(parsed, "usage", None)
    if not isinstance(blocks, list) or usage is None:
        raise MalformedResponse(f"response has no content/usage: {str(parsed)[:200]}")
    text = "".join(getattr(b, "text", "") or "" for b in blocks if getattr(b, "type", "") == "text")
    return Completion(
        text=text,
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        latency_ms=latency_ms,
        stop_reason=str(getattr(parsed, "stop_reason", None) or "unknown"),
        model=str(getattr(parsed, "model", "") or ""),
        simulated=simulated,
    )
