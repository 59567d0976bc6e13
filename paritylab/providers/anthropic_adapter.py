"""Anthropic Messages through the official SDK."""

from __future__ import annotations

from typing import Any

from paritylab.errors import MalformedResponse
from paritylab.providers.base import ChatRequest, Completion
from paritylab.providers.sdk_base import SdkProvider


class AnthropicProvider(SdkProvider):
    kind = "anthropic"
    sdk_module = "anthropic"
    client_class = "AsyncAnthropic"

    def body(self, model: str, request: ChatRequest) -> dict[str, Any]:
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

    async def create_raw(self, body: dict[str, Any], timeout_s: float) -> Any:
        return await self._client.messages.with_raw_response.create(**body, timeout=timeout_s)

    def completion(self, parsed: Any, latency_ms: float, simulated: bool) -> Completion:
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
