"""Throughput of the runner against sim-serve with a fixed latency L and concurrency C.

The ceiling is C/L calls per second. The same run also measures a bare SDK loop (same client, same
server, a semaphore of C, nothing else) so the runner's own overhead is visible separately from what
the SDK and this machine allow. Target: runner >= 0.9 * C/L at C=64, L=200 ms, N=2,000.

    python bench/provider_throughput.py [--n 2000] [--concurrency 64] [--latency-ms 200] [--provider openai]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from _common import peak_rss_mb, prompt, sim_serve_process

from paritylab import aio
from paritylab.config import Settings
from paritylab.providers.base import ChatRequest
from paritylab.providers.runner import CallSpec, Runner
from paritylab.store import open_store
from paritylab.store.ledger import Ledger


def settings(provider: str, url: str, concurrency: int) -> Settings:
    base_url = url if provider == "anthropic" else f"{url}/v1"
    model = {
        "provider": provider,
        "model": "sim-good",
        "base_url": base_url,
        "api_key_env": "BENCH_KEY",
        "concurrency": concurrency,
        "timeout_s": 30,
        "price_input_per_mtok": 0.15,
        "price_output_per_mtok": 0.6,
    }
    return Settings.model_validate({"models": {"m": model}})


async def runner_pass(cfg: Settings, n: int, store_dir: Path, offset: int) -> tuple[float, int]:
    with open_store(store_dir / "bench.duckdb") as db:
        specs = [CallSpec("m", ChatRequest.user(prompt(offset + i), max_tokens=64)) for i in range(n)]
        async with Runner(cfg, ledger=Ledger(db), run_id=f"bench-{offset}", env={"BENCH_KEY": "k"}) as runner:
            runner.prepare({"m"})
            await runner.run(specs[:1])  # warm the client (imports, connection) outside the timing
            started = time.perf_counter()
            results = await runner.run(specs[1:])
            elapsed = time.perf_counter() - started
    return elapsed, sum(r.ok for r in results)


async def bare_sdk_pass(provider: str, url: str, n: int, concurrency: int, offset: int) -> tuple[float, int]:
    if provider == "anthropic":
        import anthropic

        aclient = anthropic.AsyncAnthropic(base_url=url, api_key="k", max_retries=0, timeout=30)
        call = lambda i: aclient.messages.create(  # noqa: E731
            model="sim-good", max_tokens=64, messages=[{"role": "user", "content": prompt(i)}]
        )
    else:
        import openai

        oclient = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="k", max_retries=0, timeout=30)
        call = lambda i: oclient.chat.completions.create(  # noqa: E731
            model="sim-good", max_tokens=64, messages=[{"role": "user", "content": prompt(i)}]
        )
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> bool:
        async with gate:
            await call(i)
            return True

    await one(offset)  # warm-up, untimed
    started = time.perf_counter()
    done = await asyncio.gather(*(one(offset + 1 + i) for i in range(n - 1)))
    return time.perf_counter() - started, sum(done)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--latency-ms", type=float, default=200.0)
    ap.add_argument("--provider", choices=["openai", "anthropic", "openai_compatible"], default="openai")
    args = ap.parse_args()
    limit = args.concurrency / (args.latency_ms / 1000)
    with sim_serve_process("--latency-ms", str(args.latency_ms)) as url, tempfile.TemporaryDirectory() as tmp:
        cfg = settings(args.provider, url, args.concurrency)
        r_elapsed, r_ok = aio.run(runner_pass(cfg, args.n, Path(tmp), 0))
        b_elapsed, b_ok = aio.run(
            bare_sdk_pass(
                "anthropic" if args.provider == "anthropic" else "openai",
                url,
                args.n,
                args.concurrency,
                10 * args.n,
            )
        )
    runner_rate, bare_rate = (r_ok / r_elapsed), (b_ok / b_elapsed)
    print(
        f"provider={args.provider} N={args.n} C={args.concurrency} L={args.latency_ms:.0f} ms "
        f"limit C/L={limit:.1f} calls/s"
    )
    print(
        f"runner  : {r_ok} ok in {r_elapsed:.2f} s = {runner_rate:.1f} calls/s, "
        f"ratio to C/L {runner_rate / limit:.3f} (target >= 0.9)"
    )
    print(
        f"bare SDK: {b_ok} ok in {b_elapsed:.2f} s = {bare_rate:.1f} calls/s, "
        f"ratio to C/L {bare_rate / limit:.3f} (the physical limit of SDK + server on this machine)"
    )
    print(f"runner / bare SDK: {runner_rate / bare_rate:.3f}")
    print(f"peak RSS (client process): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
