"""2,000 calls through the runner (openai SDK) against sim-serve with injected faults: 20% 429,
5% 500, 2% timeouts. Prints lost calls (target 0), attempts by outcome from the ledger, cost
reconciliation, wall time and peak RSS.

    python bench/fault_tolerance.py [--n 2000] [--concurrency 64] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import peak_rss_mb, prompt, sim_serve_process

from paritylab import aio
from paritylab.config import Settings
from paritylab.providers.base import ChatRequest
from paritylab.providers.runner import CallResult, CallSpec, Runner
from paritylab.store import open_store
from paritylab.store.ledger import Ledger


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    args = ap.parse_args()
    faults = [
        "--rate-limit",
        "0.2",
        "--server-error",
        "0.05",
        "--timeout",
        "0.02",
        "--retry-after-s",
        "0.2",
        "--hang-s",
        "5",
    ]
    with (
        sim_serve_process("--latency-ms", str(args.latency_ms), *faults) as url,
        tempfile.TemporaryDirectory() as tmp,
        open_store(Path(tmp) / "b.duckdb") as db,
    ):
        settings = Settings.model_validate(
            {
                "models": {
                    "m": {
                        "provider": "openai",
                        "model": "sim-good",
                        "base_url": f"{url}/v1",
                        "api_key_env": "K",
                        "concurrency": args.concurrency,
                        "timeout_s": 1.0,
                        "max_retries": 10,
                        # 27 % of attempts fail, so a few calls fail 5-6 times in a row: a 2 s backoff cap
                        # keeps that tail short (the default 30 s cap suits real outages, not this rate).
                        "backoff_base_s": 0.1,
                        "backoff_max_s": 2.0,
                        "price_input_per_mtok": 0.15,
                        "price_output_per_mtok": 0.6,
                    }
                }
            }
        )
        specs = [
            CallSpec("m", ChatRequest.user(prompt(i), max_tokens=64), item_id=str(i)) for i in range(args.n)
        ]

        async def go() -> list[CallResult]:
            async with Runner(settings, ledger=Ledger(db), run_id="bench", env={"K": "k"}) as runner:
                return await runner.run(specs)

        started = time.perf_counter()
        results = aio.run(go())
        elapsed = time.perf_counter() - started
        outcomes = db.rows(
            "SELECT coalesce(error_class, status) AS outcome, count(*) AS n FROM calls GROUP BY 1 "
            "ORDER BY 2 DESC"
        )
        [billed] = db.rows(
            "SELECT sum(cost_usd) AS usd, count(DISTINCT request_hash) FILTER (WHERE cost_usd > 0) "
            "AS billed_requests, count(*) FILTER (WHERE cost_usd > 0) AS billed_rows FROM calls"
        )
    lost = sum(not r.ok for r in results)
    attempts = sum(r.attempts for r in results)
    print(f"N={args.n} C={args.concurrency} L={args.latency_ms:.0f} ms, faults 20% 429 / 5% 500 / 2% timeout")
    print(
        f"lost calls: {lost} (target 0); wall {elapsed:.1f} s; "
        f"attempts {attempts} ({attempts / args.n:.2f} per call, the unluckiest call needed "
        f"{max(r.attempts for r in results)})"
    )
    print("ledger rows by outcome: " + ", ".join(f"{o['outcome']}={o['n']}" for o in outcomes))
    print(
        f"billed: {billed['billed_rows']} rows for {billed['billed_requests']} distinct requests "
        f"(equal = nothing billed twice); ledger total ${billed['usd']:.6f} = results total "
        f"${sum(r.cost_usd for r in results):.6f}"
    )
    print(f"peak RSS (client process): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
