"""OpenAI Chat Completions through the official SDK; also any OpenAI-compatible server (vLLM, Ollama,
llama.cpp server, LiteLLM proxy) via base_url."""

from __future__ import annotations

from typing import Any

from paritylab.errors import MalformedResponse
from paritylab.providers.base import ChatRequest, Completion
from paritylab.providers.sdk_base import SdkProvider


class OpenAIProvider(SdkProvider):
    kind = "openai"
    sdk_module = "openai"
    client_class = "AsyncOpenAI"
    # OpenAI's API replaced max_tokens by max_completion_tokens; compatible servers know only max_tokens.
    max_tokens_field = "max_completion_tokens"

    def body(self, model: str, request: ChatRequest) -> dict[str, Any]:
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        body: dict[str, Any] = {
            "model": model,
            "messages": messages,
            self.max_tokens_field: request.max_tokens,
        }
        optional = {"temperature": request.temperature, "top_p": request.top_p, "seed": request.seed}
        body.update({k: v for k, v in optional.items() if v is not None})
        if request.stop:
            body["stop"] = list(request.stop)
        if request.response_format == "json":
            body["response_format"] = {"type": "json_object"}
        return body

    async def create_raw(self, body: dict[str, Any], timeout_s: float) -> Any:
        return await self._client.chat.completions.with_raw_response.create(**body, timeout=timeout_s)

    def completion(self, parsed: Any, latency_ms: float, simulated: bool) -> Completion:
        choices = getattr(parsed, "choices", None)
        usage = getattr(parsed, "usage", None)
        if not choices or getattr(choices[0], "message", None) is None:
            raise MalformedResponse(f"response has no choices/message: {str(parsed)[:200]}")
        choice = choices[0]
        return Completion(
            text=choice.message.content or "",
            input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            latency_ms=latency_ms,
            stop_reason=str(choice.finish_reason or "unknown"),
            model=str(getattr(parsed, "model", "") or ""),
            simulated=simulated,
        )


class OpenAICompatibleProvider(OpenAIProvider):
    kind = "openai_compatible"
    max_tokens_field = "max_tokens"
