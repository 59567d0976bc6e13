"""What the official-SDK adapters share: client set-up (SDK retries off, our HTTP pool), the raw call
(headers tell us whether the answer was SIMULATED), timing, and error classification."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import time
from typing import Any

from paritylab.providers.base import SIMULATED_HEADER, SIMULATED_LATENCY_HEADER, ChatRequest, Completion
from paritylab.providers.classify import classify_sdk_error
from paritylab.providers.http import sdk_http_client


class SdkProvider:
    """Subclasses say which SDK, how to build the body, which endpoint to call and how to read the reply."""

    kind = "sdk"
    sdk_module = ""
    client_class = ""

    def __init__(self, api_key: str, base_url: str | None, timeout_s: float, concurrency: int = 8) -> None:
        self._sdk = importlib.import_module(self.sdk_module)
        self._secrets = [api_key]
        # max_retries=0: the runner owns retries; SDK retries would multiply calls unseen by the ledger.
        self._client = getattr(self._sdk, self.client_class)(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=0,
            http_client=sdk_http_client(self._sdk, timeout_s, concurrency),
        )

    def body(self, model: str, request: ChatRequest) -> dict[str, Any]:
        raise NotImplementedError

    async def create_raw(self, body: dict[str, Any], timeout_s: float) -> Any:
        raise NotImplementedError

    def completion(self, parsed: Any, latency_ms: float, simulated: bool) -> Completion:
        raise NotImplementedError

    async def generate(self, model: str, request: ChatRequest, timeout_s: float) -> Completion:
        started = time.perf_counter()
        try:
            raw = await self.create_raw(self.body(model, request), timeout_s)
            parsed = raw.parse()
            if inspect.isawaitable(parsed):  # anthropic's raw response parses asynchronously
                parsed = await parsed
        except (self._sdk.APIError, json.JSONDecodeError) as exc:
            raise classify_sdk_error(exc, self._sdk, self._secrets) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        simulated = raw.headers.get(SIMULATED_HEADER) == "1"
        if simulated and (reported := _float(raw.headers.get(SIMULATED_LATENCY_HEADER))) is not None:
            latency_ms = reported  # the simulated model's latency, as the in-process sim reports it
        return self.completion(parsed, latency_ms, simulated=simulated)

    async def aclose(self) -> None:
        await self._client.close()


def _float(text: str | None) -> float | None:
    """A finite, non-negative number from a header, else None."""
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
