"""OpenAI Chat Completions through the official SDK; also any OpenAI-compatible server (vLLM, Ollama,
llama.cpp server, LiteLLM proxy) via base_url."""

from __future__ import annotations

import inspect
import json
import time
from typing import Any

from paritylab.errors import MalformedResponse
from paritylab.providers.base import ChatRequest, Completion
from paritylab.providers.classify import classify_sdk_error
from paritylab.providers.http import sdk_http_client

SIMULATED_HEADER = "x-paritylab-simulated"


class OpenAIProvider:
    kind = "openai"
    # OpenAI's API replaced max_tokens by max_completion_tokens; compatible servers know only max_tokens.
    max_tokens_field = "max_completion_tokens"

    def __init__(self, api_key: str, base_url: str | None, timeout_s: float, concurrency: int = 8) -> None:
        import openai

        self._sdk = openai
        self._secrets = [api_key]
        # max_retries=0: the runner owns retries; SDK retries would multiply calls unseen by the ledger.
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,
            http_client=sdk_http_client(openai, timeout_s, concurrency),
        )

    def _body(self, model: str, request: ChatRequest) -> dict[str, Any]:
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

    async def generate(self, model: str, request: ChatRequest, timeout_s: float) -> Completion:
        started = time.perf_counter()
        try:
            raw = await self._client.chat.completions.with_raw_response.create(
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


class OpenAICompatibleProvider(OpenAIProvider):
    kind = "openai_compatible"
    max_tokens_field = "max_tokens"


def _completion(parsed: Any, latency_ms: float, simulated: bool) -> Completion:
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
