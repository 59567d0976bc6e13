"""The runner's own rules, with the in-process sim provider (no HTTP): backoff, limits, single-flight,
fallback cycles, and errors that must propagate rather than be recorded."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest

from paritylab.config import ModelConfig, Settings
from paritylab.errors import MissingAPIKey, PermanentProviderError, RateLimited, TransientProviderError
from paritylab.providers.base import ChatRequest, Completion
from paritylab.providers.limits import TokenBucket
from paritylab.providers.runner import CallResult, CallSpec, Runner, retry_delay
from paritylab.providers.sim_adapter import SimProvider
from paritylab.sim.faults import FaultPlan
from paritylab.sim.profiles import get_profile
from paritylab.store import Store
from paritylab.store.ledger import Ledger


class CountingProvider(SimProvider):
    """The sim provider, counting calls and the most calls in flight at once."""

    def __init__(self, profile: str = "good", latency_ms: float = 20.0) -> None:
        super().__init__(get_profile(profile).with_latency(latency_ms), FaultPlan())
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def generate(self, model: str, request: ChatRequest, timeout_s: float) -> Completion:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await super().generate(model, request, timeout_s)
        finally:
            self.in_flight -= 1


class BrokenProvider(CountingProvider):
    async def generate(self, model: str, request: ChatRequest, timeout_s: float) -> Completion:
        raise RuntimeError("a bug in an adapter")


def settings(**models: dict[str, Any]) -> Settings:
    defaults = {"provider": "sim", "model": "sim-good", "backoff_base_s": 0.01}
    return Settings.model_validate({"models": {n: {**defaults, **m} for n, m in models.items()}})


def run(
    s: Settings,
    specs: list[CallSpec],
    providers: dict[str, Any],
    ledger: Ledger | None = None,
    env: dict[str, str] | None = None,
) -> list[CallResult]:
    async def go() -> list[CallResult]:
        async with Runner(s, ledger=ledger, run_id="r", providers=providers, env=env or {}, seed=0) as runner:
            return await runner.run(specs)

    return asyncio.run(go())


def ask(n: int, model: str = "m") -> CallSpec:
    return CallSpec(
        model, ChatRequest.user(f"<context>Item {n} ships in {n} days.</context><question>{n}?</question>")
    )


# --- retry_delay -----------------------------------------------------------------------------------


def cfg(**kw: Any) -> ModelConfig:
    return ModelConfig.model_validate({"provider": "sim", "model": "x", **kw})


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    c, rng = cfg(backoff_base_s=0.5, backoff_max_s=4.0, max_retries=10), random.Random(0)
    err = TransientProviderError("500")
    for attempt, full in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        delays = [retry_delay(c, err, attempt, rng) for _ in range(200)]
        assert all(d is not None and full / 2 <= d <= full for d in delays)
        assert max(d for d in delays if d) - min(d for d in delays if d) > full / 10  # jittered


def test_retry_after_is_a_floor_and_too_long_a_wait_gives_up() -> None:
    c, rng = cfg(backoff_base_s=0.01, max_retry_after_s=10), random.Random(0)
    assert retry_delay(c, RateLimited("429", retry_after_s=3.0), 1, rng) == 3.0
    assert retry_delay(c, RateLimited("429", retry_after_s=60.0), 1, rng) is None


def test_no_retry_for_permanent_errors_or_past_max_retries() -> None:
    c, rng = cfg(max_retries=2), random.Random(0)
    assert retry_delay(c, PermanentProviderError("400"), 1, rng) is None
    assert retry_delay(c, TransientProviderError("500"), 2, rng) is not None
    assert retry_delay(c, TransientProviderError("500"), 3, rng) is None


# --- limits ----------------------------------------------------------------------------------------


def test_concurrency_limit_is_respected() -> None:
    provider = CountingProvider(latency_ms=20)
    results = run(settings(m={"concurrency": 5}), [ask(i) for i in range(40)], {"m": provider})
    assert all(r.ok for r in results)
    assert provider.max_in_flight == 5


def test_token_bucket_makes_callers_wait_once_the_budget_is_spent() -> None:
    async def go() -> float:
        bucket = TokenBucket(per_minute=600)  # 10 per second
        await bucket.take(600)
        started = time.perf_counter()
        await bucket.take(2)
        return time.perf_counter() - started

    assert asyncio.run(go()) >= 0.15  # 2 units at 10/s


def test_rpm_limit_spaces_out_requests() -> None:
    provider = CountingProvider(latency_ms=0)
    started = time.perf_counter()
    run(settings(m={"rpm": 600}), [ask(i) for i in range(605)], {"m": provider})  # 600 free, then 10/s
    assert time.perf_counter() - started >= 0.4


# --- single flight, fallback, propagation --------------------------------------------------------


def test_identical_requests_in_one_batch_are_sent_once(store: Store) -> None:
    provider = CountingProvider()
    results = run(settings(m={}), [ask(1), ask(1), ask(1)], {"m": provider}, Ledger(store))
    assert provider.calls == 1
    assert [r.cached for r in results].count(True) == 2
    assert {r.completion.text for r in results if r.completion} == {results[0].completion.text}  # type: ignore[union-attr]
    rows = store.rows("SELECT status, count(*) AS n FROM calls GROUP BY 1 ORDER BY 1")
    assert rows == [{"status": "cache_hit", "n": 2}, {"status": "ok", "n": 1}]


def test_fallback_cycle_tries_each_model_once_then_reports_failure(store: Store) -> None:
    a, b = CountingProvider(), CountingProvider()
    a.faults.script(*["server_error"] * 3)
    b.faults.script(*["server_error"] * 3)
    s = settings(a={"fallback": "b", "max_retries": 2}, b={"fallback": "a", "max_retries": 2})
    [result] = run(s, [ask(1, "a")], {"a": a, "b": b}, Ledger(store))
    assert not result.ok and result.error_class == "transient" and result.served_by == "b"
    assert (a.calls, b.calls) == (3, 3)
    assert store.rows("SELECT count(*) AS n FROM calls WHERE status = 'error'") == [{"n": 6}]


def test_missing_key_of_a_fallback_is_found_before_any_call() -> None:
    s = settings(m={"fallback": "real"}, real={"provider": "openai", "model": "gpt-4o-mini"})
    provider = CountingProvider()
    with pytest.raises(MissingAPIKey, match="OPENAI_API_KEY"):
        run(s, [ask(1)], {"m": provider})
    assert provider.calls == 0


def test_a_bug_in_an_adapter_propagates_instead_of_being_recorded(store: Store) -> None:
    with pytest.raises(RuntimeError, match="a bug in an adapter"):
        run(settings(m={}), [ask(1)], {"m": BrokenProvider()}, Ledger(store))


def test_in_process_sim_faults_are_retried_and_ledgered(store: Store) -> None:
    provider = CountingProvider()
    provider.faults.script("rate_limit", "malformed", "ok")
    [result] = run(settings(m={"profile": "good"}), [ask(1)], {"m": provider}, Ledger(store))
    assert result.ok and result.attempts == 3
    rows = store.rows("SELECT attempt, status, error_class FROM calls ORDER BY attempt")
    assert [(r["status"], r["error_class"]) for r in rows] == [
        ("error", "rate_limited"),
        ("error", "malformed"),
        ("ok", None),
    ]
