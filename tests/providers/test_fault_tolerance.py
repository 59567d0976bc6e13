"""2,000 calls through the openai SDK against sim-serve with 20% 429, 5% 500 and 2% timeouts:
nothing is lost, the ledger holds every attempt the server saw, Retry-After is honoured between
attempts, and no request is billed twice."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from paritylab.config import Settings
from paritylab.providers.base import ChatRequest
from paritylab.providers.runner import CallResult, CallSpec, Runner
from paritylab.sim.profiles import FaultRates
from paritylab.sim.server import RunningServer, SimServer, start_in_thread
from paritylab.store import open_store
from paritylab.store.ledger import Ledger

N = 2000
RETRY_AFTER_S = 0.05
# The client gives up on an injected hang after TIMEOUT_S. Margin for a slow machine: an answer that takes
# longer than that is an extra timeout (accounted for below) and one more attempt of at most 11.
TIMEOUT_S, HANG_S, CONCURRENCY = 5.0, 10.0, 16


@pytest.fixture(scope="module")
def faulty_server() -> Iterator[RunningServer]:
    faults = FaultRates(rate_limit=0.20, server_error=0.05, timeout=0.02, retry_after_s=RETRY_AFTER_S)
    server = start_in_thread(SimServer(latency_ms=2.0, faults=faults, hang_s=HANG_S, seed=7))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def outcome(faulty_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    settings = Settings.model_validate(
        {
            "models": {
                "m": {
                    "provider": "openai",
                    "model": "sim-good",
                    "base_url": f"{faulty_server.url}/v1",
                    "api_key_env": "K",
                    "concurrency": CONCURRENCY,
                    "timeout_s": TIMEOUT_S,
                    "max_retries": 10,
                    "backoff_base_s": 0.01,
                    "backoff_max_s": 0.2,
                    "price_input_per_mtok": 1.0,
                    "price_output_per_mtok": 4.0,
                }
            }
        }
    )
    specs = [
        CallSpec(
            "m",
            ChatRequest.user(
                f"<context>Plan {i} costs {i} euros.</context><question>What does plan {i} cost?</question>"
            ),
            item_id=str(i),
        )
        for i in range(N)
    ]
    path: Path = tmp_path_factory.mktemp("faults") / "store.duckdb"
    with open_store(path) as store:

        async def go() -> list[CallResult]:
            async with Runner(settings, ledger=Ledger(store), run_id="faults", env={"K": "key"}, seed=3) as r:
                return await r.run(specs)

        results = asyncio.run(go())
        yield results, store, dict(faulty_server.app.stats)


def test_no_call_is_lost(outcome: tuple) -> None:
    results, _, _ = outcome
    assert len(results) == N
    assert all(r.ok for r in results), [r.error_class for r in results if not r.ok][:5]
    assert sorted(int(r.spec.item_id or -1) for r in results) == list(range(N))


def test_ledger_records_every_attempt_the_server_saw(outcome: tuple) -> None:
    results, store, stats = outcome
    [row] = store.rows("SELECT count(*) AS attempts FROM calls WHERE status <> 'cache_hit'")
    attempts, server_saw = row["attempts"], stats["/v1/chat/completions"]
    assert attempts == sum(r.attempts for r in results)  # the runner recorded every attempt it made
    by_status = {
        r["k"]: r["n"]
        for r in store.rows(
            "SELECT coalesce(error_class, 'ok') || ':' || coalesce(http_status, 0) AS k, count(*) AS n "
            "FROM calls GROUP BY 1"
        )
    }
    # Every answer the client received is in the ledger with its class. Under load an answer the server
    # sent (ok, 429 or 500) can land after the client's timeout (TIMEOUT_S): the ledger then rightly says
    # timeout, so each server count may exceed the ledger's by such late answers, and only by them.
    late = {
        "ok": stats["outcome:ok"] - by_status["ok:0"],
        "429": stats["outcome:rate_limit"] - by_status.get("rate_limited:429", 0),
        "500": stats["outcome:server_error"] - by_status.get("transient:500", 0),
    }
    assert by_status["ok:0"] == N and min(late.values()) >= 0, late
    assert sum(late.values()) <= by_status.get("timeout:0", 0) - stats["outcome:timeout"]
    # an attempt can also fail on the client before the server counts it (connect timeout under load):
    # such surplus attempts can only be client-side timeouts or connection errors
    client_side = by_status.get("timeout:0", 0) + by_status.get("transient:0", 0)
    assert server_saw <= attempts <= server_saw + client_side
    assert by_status["timeout:0"] >= stats["outcome:timeout"]
    # the injected 20 % of 429s, of the attempts the server saw: the client's own timeouts on a loaded
    # machine add attempts it never saw (and the ledger's 429s are the server's but late ones, above)
    assert 0.15 < stats["outcome:rate_limit"] / server_saw < 0.25
    # the injected 2 % of timeouts, where they are injected: the ledger's share also holds the late answers
    # and client-side timeouts a loaded machine adds (4.8-5.7 % of attempts in 2 of 8 CI runs); those
    # extra timeouts are all accounted for: late answers, or attempts the server never saw
    assert 0.01 < stats["outcome:timeout"] / server_saw < 0.04
    extra = by_status["timeout:0"] - stats["outcome:timeout"]
    assert extra <= sum(late.values()) + (attempts - server_saw), (extra, late, attempts, server_saw)


def test_each_request_succeeds_exactly_once_and_is_billed_once(outcome: tuple) -> None:
    results, store, _ = outcome
    assert (
        store.rows("""SELECT request_hash FROM calls WHERE status = 'ok'
                         GROUP BY 1 HAVING count(*) <> 1""")
        == []
    )
    assert store.rows("SELECT count(*) AS n FROM calls WHERE status = 'error' AND cost_usd <> 0") == [
        {"n": 0}
    ]
    [total] = store.rows("SELECT sum(cost_usd) AS usd FROM calls")
    assert total["usd"] == pytest.approx(sum(r.cost_usd for r in results))
    assert total["usd"] > 0


def test_retry_after_is_honoured_between_attempts(outcome: tuple) -> None:
    _, store, _ = outcome
    gaps = store.rows("""
        SELECT a.retry_after_s AS asked, b.started_at - a.started_at AS gap
        FROM calls a JOIN calls b ON a.request_hash = b.request_hash AND b.attempt = a.attempt + 1
        WHERE a.error_class = 'rate_limited'""")
    assert len(gaps) > 100
    assert all(g["asked"] == pytest.approx(RETRY_AFTER_S) for g in gaps)
    assert min(g["gap"] for g in gaps) >= timedelta(seconds=RETRY_AFTER_S)
