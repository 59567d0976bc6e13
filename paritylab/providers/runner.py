"""The one place where model calls are made: limits, retries, timeouts, fallback, cache, cost and ledger.

Every call in a batch returns a CallResult, success or classified failure; nothing is dropped. Each
attempt at a provider becomes one ledger row; an answer taken from the cache becomes a `cache_hit` row
that costs nothing, so summing `cost_usd` over the ledger never bills a call twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from paritylab.config import ModelConfig, Settings
from paritylab.errors import ProviderError, ProviderTimeout
from paritylab.providers.base import ChatRequest, Completion, Provider, request_hash
from paritylab.providers.factory import build_provider
from paritylab.providers.limits import ModelLimiter
from paritylab.store.ledger import CachedResponse, CallRecord, Ledger, utcnow

# The SDK enforces the timeout; this margin lets it report first, and caps adapters that hang regardless.
HARD_TIMEOUT_MARGIN_S = 1.0


@dataclass(frozen=True)
class CallSpec:
    model_name: str
    request: ChatRequest
    purpose: str = "generate"
    candidate_id: str | None = None
    item_id: str | None = None
    # Set by the runner: the n-th identical spec in a batch. Keeps ledger ids distinct (and stable
    # across reruns of the same batch) when a caller asks the same thing twice.
    occurrence: int = 0


@dataclass(frozen=True)
class CallResult:
    spec: CallSpec
    request_hash: str
    served_by: str
    completion: Completion | None
    error_class: str | None = None
    error_message: str | None = None
    attempts: int = 0
    cached: bool = False
    cost_usd: float = 0.0

    @property
    def ok(self) -> bool:
        return self.completion is not None


def cost_usd(cfg: ModelConfig, input_tokens: int, output_tokens: int) -> float:
    return (input_tokens * cfg.price_input_per_mtok + output_tokens * cfg.price_output_per_mtok) / 1e6


def estimate_tokens(request: ChatRequest) -> int:
    """Budget reserved against TPM before the call: ~4 characters a token plus the output allowance."""
    chars = len(request.system or "") + sum(len(m.content) for m in request.messages)
    return chars // 4 + request.max_tokens


def retry_delay(cfg: ModelConfig, err: ProviderError, attempt: int, rng: random.Random) -> float | None:
    """Seconds to wait before the next attempt, or None to stop: jittered exponential backoff,
    never shorter than the provider's Retry-After."""
    if not err.retryable or attempt > cfg.max_retries:
        return None
    backoff = min(cfg.backoff_max_s, cfg.backoff_base_s * 2.0 ** (attempt - 1)) * rng.uniform(0.5, 1.0)
    if err.retry_after_s is None:
        return backoff
    if err.retry_after_s > cfg.max_retry_after_s:
        return None
    return max(float(err.retry_after_s), backoff)


class Runner:
    """Runs batches of calls for one run. Use `async with Runner(...)` or call `aclose()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        ledger: Ledger | None = None,
        run_id: str | None = None,
        providers: dict[str, Provider] | None = None,
        env: dict[str, str] | None = None,
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.run_id = run_id
        self._env = dict(os.environ) if env is None else env
        self._providers: dict[str, Provider] = dict(providers or {})
        self._limiters: dict[str, ModelLimiter] = {}
        self._inflight: dict[str, asyncio.Future[CallResult]] = {}
        self._rng = random.Random(seed)

    async def __aenter__(self) -> Runner:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self.ledger:
            self.ledger.close()
        for provider in self._providers.values():
            await provider.aclose()

    def prepare(self, model_names: set[str]) -> None:
        """Build every provider (and fallback) up front, so a missing key fails before any call."""
        pending = set(model_names)
        while pending:
            name = pending.pop()
            self.provider(name)
            if fallback := self.settings.models[name].fallback:
                pending |= {fallback} - set(self._providers)

    def provider(self, name: str) -> Provider:
        if name not in self._providers:
            self._providers[name] = build_provider(name, self.settings.models[name], self._env)
        return self._providers[name]

    def limiter(self, name: str) -> ModelLimiter:
        if name not in self._limiters:
            cfg = self.settings.models[name]
            self._limiters[name] = ModelLimiter(cfg.concurrency, cfg.rpm, cfg.tpm)
        return self._limiters[name]

    def hash_for(self, name: str, request: ChatRequest) -> str:
        cfg = self.settings.models[name]
        return request_hash(cfg.provider, f"{cfg.model}|{cfg.profile or ''}", request)

    async def run(
        self, specs: Sequence[CallSpec], on_result: Callable[[CallResult], None] | None = None
    ) -> list[CallResult]:
        """Run all specs concurrently (within each model's limits); results come back in input order."""
        self.prepare({s.model_name for s in specs})
        specs = _number_duplicates(specs)
        hashes = [self.hash_for(s.model_name, s.request) for s in specs]
        cached = self.ledger.lookup(hashes) if self.ledger else {}

        async def one(spec: CallSpec, key: str) -> CallResult:
            hit = cached.get(key)
            result = (
                self._from_cache(spec, spec.model_name, hit) if hit else await self._single_flight(spec, key)
            )
            if on_result:
                on_result(result)
            return result

        results = await asyncio.gather(*(one(s, h) for s, h in zip(specs, hashes, strict=True)))
        if self.ledger:
            self.ledger.flush()  # a batch's rows are durable when run() returns
        return list(results)

    async def _single_flight(self, spec: CallSpec, key: str) -> CallResult:
        """Identical requests in flight at once are sent once; the others share the answer."""
        if key in self._inflight:
            first = await asyncio.shield(self._inflight[key])
            return self._share(spec, first)
        future: asyncio.Future[CallResult] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await self._call_with_fallback(spec, key)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            del self._inflight[key]

    def _share(self, spec: CallSpec, first: CallResult) -> CallResult:
        if first.completion is None:
            return replace(first, spec=spec, attempts=0, cost_usd=0.0)
        cfg = self.settings.models[first.served_by]
        hit = CachedResponse(
            first.request_hash,
            cfg.provider,
            cfg.model,
            first.completion.text,
            first.completion.stop_reason,
            first.completion.input_tokens,
            first.completion.output_tokens,
            first.completion.latency_ms,
            first.cost_usd,
            first.completion.simulated,
        )
        return self._from_cache(spec, first.served_by, hit)

    async def _call_with_fallback(self, spec: CallSpec, key: str) -> CallResult:
        result = await self._attempts(self._target(spec.model_name, spec, key, None))
        tried, name = {spec.model_name}, spec.model_name
        while not result.ok and (fallback := self.settings.models[name].fallback) and fallback not in tried:
            tried.add(fallback)
            target = self._target(fallback, spec, self.hash_for(fallback, spec.request), name)
            hit = self.ledger.lookup([target.key]).get(target.key) if self.ledger else None
            result = self._from_cache(spec, fallback, hit) if hit else await self._attempts(target)
            name = fallback
        return result

    def _target(self, name: str, spec: CallSpec, key: str, fallback_for: str | None) -> _Target:
        return _Target(name, self.settings.models[name], spec, key, fallback_for)

    async def _attempts(self, target: _Target) -> CallResult:
        attempt = 0
        while True:
            attempt += 1
            started = utcnow()
            outcome = await self._attempt(target.name, target.cfg, target.spec.request)
            if isinstance(outcome, Completion):
                cost = cost_usd(target.cfg, outcome.input_tokens, outcome.output_tokens)
                self._record_success(target, attempt, started, outcome, cost)
                return CallResult(
                    target.spec, target.key, target.name, outcome, attempts=attempt, cost_usd=cost
                )
            delay = retry_delay(target.cfg, outcome, attempt, self._rng)
            self._record_failure(target, attempt, started, outcome)
            if delay is None:
                return CallResult(
                    target.spec, target.key, target.name, None, outcome.error_class, outcome.message, attempt
                )
            await asyncio.sleep(delay)  # outside the concurrency slot: waiting must not block others

    async def _attempt(self, name: str, cfg: ModelConfig, request: ChatRequest) -> Completion | ProviderError:
        limiter = self.limiter(name)
        estimate = estimate_tokens(request)
        actual: int | None = None
        async with limiter.slot(estimate):
            try:
                async with asyncio.timeout(
                    cfg.timeout_s + HARD_TIMEOUT_MARGIN_S
                ):  # no extra task, unlike wait_for
                    completion = await self.provider(name).generate(cfg.model, request, cfg.timeout_s)
                actual = completion.input_tokens + completion.output_tokens
                return completion
            except TimeoutError:
                return ProviderTimeout(f"no answer from {name} within {cfg.timeout_s} s")
            except ProviderError as err:
                return err
            finally:
                limiter.settle_tokens(estimate, actual)

    def _record_success(
        self, target: _Target, attempt: int, started: datetime, completion: Completion, cost: float
    ) -> None:
        if not self.ledger:
            return
        cfg = target.cfg
        self.ledger.remember(
            CachedResponse(
                target.key,
                cfg.provider,
                cfg.model,
                completion.text,
                completion.stop_reason,
                completion.input_tokens,
                completion.output_tokens,
                completion.latency_ms,
                cost,
                completion.simulated,
            )
        )
        self.ledger.record(
            _row(
                self.run_id,
                target,
                attempt,
                started,
                "ok",
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
                cost_usd=cost,
                latency_ms=completion.latency_ms,
                simulated=completion.simulated,
            )
        )

    def _record_failure(self, target: _Target, attempt: int, started: datetime, err: ProviderError) -> None:
        if self.ledger:
            self.ledger.record(
                _row(
                    self.run_id,
                    target,
                    attempt,
                    started,
                    "error",
                    error_class=err.error_class,
                    error_message=err.message[:2000],
                    http_status=err.status,
                    retry_after_s=err.retry_after_s,
                    simulated=target.cfg.provider == "sim",
                )
            )

    def _from_cache(self, spec: CallSpec, name: str, hit: CachedResponse) -> CallResult:
        completion = Completion(
            hit.text,
            hit.input_tokens,
            hit.output_tokens,
            hit.latency_ms or 0.0,
            hit.stop_reason or "unknown",
            hit.model,
            hit.simulated,
        )
        if self.ledger:
            fallback_for = None if name == spec.model_name else spec.model_name
            target = self._target(name, spec, hit.request_hash, fallback_for)
            self.ledger.record(
                _row(
                    self.run_id,
                    target,
                    0,
                    utcnow(),
                    "cache_hit",
                    input_tokens=hit.input_tokens,
                    output_tokens=hit.output_tokens,
                    simulated=hit.simulated,
                )
            )
        return CallResult(spec, hit.request_hash, name, completion, cached=True)


def _number_duplicates(specs: Sequence[CallSpec]) -> list[CallSpec]:
    seen: dict[CallSpec, int] = {}
    numbered = []
    for spec in specs:
        n = seen.get(spec, 0)
        seen[spec] = n + 1
        numbered.append(replace(spec, occurrence=n) if n else spec)
    return numbered


@dataclass(frozen=True)
class _Target:
    """One model about to be tried for one spec: everything a ledger row needs to know about it."""

    name: str
    cfg: ModelConfig
    spec: CallSpec
    key: str
    fallback_for: str | None


def _row(
    run_id: str | None, target: _Target, attempt: int, started: datetime, status: str, **fields: Any
) -> CallRecord:
    spec = target.spec
    parts = (run_id, target.key, target.name, attempt, spec.purpose, spec.candidate_id, spec.item_id)
    ident = "|".join(map(str, (*parts, spec.occurrence, status)))
    return CallRecord(
        call_id=hashlib.blake2b(ident.encode(), digest_size=16).hexdigest(),
        run_id=run_id,
        request_hash=target.key,
        purpose=spec.purpose,
        model_name=target.name,
        provider=target.cfg.provider,
        model=target.cfg.model,
        candidate_id=spec.candidate_id,
        item_id=spec.item_id,
        attempt=attempt,
        status=status,
        started_at=started,
        fallback_for=target.fallback_for,
        **fields,
    )


async def run_calls(
    settings: Settings,
    specs: Sequence[CallSpec],
    *,
    ledger: Ledger | None = None,
    run_id: str | None = None,
    on_result: Callable[[CallResult], None] | None = None,
) -> list[CallResult]:
    """Convenience: one Runner for one batch, closed afterwards."""
    async with Runner(settings, ledger=ledger, run_id=run_id) as runner:
        return await runner.run(specs, on_result)
