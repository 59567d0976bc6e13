"""Rubric-judge throughput: N items x our rubric judge at a fixed latency L and concurrency C.

The ceiling is C/L judgments per second (one judge call per item; the judge never returns garbage
here, so nothing is re-asked). The same workload then goes through `ragas.evaluate()` (legacy API:
RubricsScore with a LangChain ChatOpenAI client at the same server, RunConfig(max_workers=C)), and the
ratio of the two is printed. Both paths use the OpenAI SDK against sim-serve in its own process.

    python bench/judge_throughput.py [--n 1000] [--concurrency 32] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from _common import peak_rss_mb, sim_serve_process

from paritylab import aio
from paritylab.config import Settings
from paritylab.metrics.base import EvalItem, MetricContext, Score
from paritylab.metrics.judges import RubricJudge
from paritylab.providers.runner import Runner
from paritylab.store import open_store
from paritylab.store.ledger import Ledger

CONTEXT = (
    "Refunds for annual plans are available within 30 days of purchase. Approved refunds are returned to "
    "the original payment method within 5 to 10 business days. Monthly plans can be cancelled at any time."
)


def workload(n: int) -> list[EvalItem]:
    answers = [
        "Approved refunds are returned within 5 to 10 business days.",
        "Refunds take 24 hours, including weekends.",
        "I'm sorry, but I can't help with that request.",
    ]
    return [
        EvalItem(f"case-{i}", f"How long do refunds take? (ticket {i})", answers[i % 3], CONTEXT, answers[0])
        for i in range(n)
    ]


def settings(url: str, concurrency: int) -> Settings:
    judge = {
        "provider": "openai",
        "model": "sim-judge",
        "base_url": f"{url}/v1",
        "api_key_env": "BENCH_KEY",
        "concurrency": concurrency,
        "timeout_s": 30,
    }
    return Settings.model_validate({"judge": "judge", "models": {"judge": judge}})


async def ours(cfg: Settings, items: list[EvalItem], store_dir: Path) -> tuple[float, list[Score]]:
    with open_store(store_dir / "bench.duckdb") as db:
        async with Runner(cfg, ledger=Ledger(db), run_id="bench", env={"BENCH_KEY": "k"}) as runner:
            ctx = MetricContext(cfg, runner, "bench", "cand")
            judge = RubricJudge(cfg.metrics.rubric)
            await judge.score([EvalItem("warm", "q", "a", "c")], ctx)  # client + imports, untimed
            started = time.perf_counter()
            scores = await judge.score(items, ctx)
            return time.perf_counter() - started, scores


def through_ragas_evaluate(url: str, items: list[EvalItem], concurrency: int) -> tuple[float, int, int]:
    """(seconds, scored, failed) for the same items through ragas.evaluate() with RubricsScore."""
    from langchain_openai import ChatOpenAI
    from ragas import EvaluationDataset, RunConfig, evaluate
    from ragas.dataset_schema import SingleTurnSample
    from ragas.llms import LangchainLLMWrapper
    from ragas.metrics import RubricsScore

    chat = ChatOpenAI(model="sim-judge", base_url=f"{url}/v1", api_key="k", timeout=30, max_retries=0)  # type: ignore[arg-type]
    llm = LangchainLLMWrapper(chat)
    samples = [
        SingleTurnSample(
            user_input=i.question,
            response=i.output,
            retrieved_contexts=[i.context or ""],
            reference=i.reference,
        )
        for i in items
    ]
    dataset = EvaluationDataset(samples=samples)  # type: ignore[arg-type]
    run_config = RunConfig(max_workers=concurrency, timeout=60, max_retries=1)
    started = time.perf_counter()
    result = evaluate(dataset, metrics=[RubricsScore(llm=llm)], run_config=run_config, show_progress=False)
    elapsed = time.perf_counter() - started
    values = result.to_pandas()[RubricsScore().name].tolist()
    failed = sum(math.isnan(v) for v in values)  # NaN is how ragas reports a failed row
    return elapsed, len(values) - failed, failed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency-ms", type=float, default=100.0)
    args = ap.parse_args()
    limit = args.concurrency / (args.latency_ms / 1000)
    items = workload(args.n)
    with sim_serve_process("--latency-ms", str(args.latency_ms)) as url, tempfile.TemporaryDirectory() as tmp:
        cfg = settings(url, args.concurrency)
        elapsed, scores = aio.run(ours(cfg, items, Path(tmp)))
        r_elapsed, r_ok, r_failed = through_ragas_evaluate(url, items, args.concurrency)
    ok = sum(s.status == "ok" for s in scores)
    rate, r_rate = ok / elapsed, r_ok / r_elapsed if r_elapsed else 0.0
    setup = f"N={args.n} C={args.concurrency} L={args.latency_ms:.0f} ms"
    print(f"{setup}  limit C/L={limit:.1f} items/s (SIMULATED judge)")
    print(
        f"rubric judge via Runner : {ok} ok, {args.n - ok} judge_error in {elapsed:.2f} s "
        f"= {rate:.1f} items/s, ratio to C/L {rate / limit:.3f}"
    )
    print(
        f"ragas.evaluate() legacy : {r_ok} ok, {r_failed} NaN in {r_elapsed:.2f} s "
        f"= {r_rate:.1f} items/s, ratio to C/L {r_rate / limit:.3f}"
    )
    print(f"ours / ragas.evaluate(): {rate / r_rate:.2f}x" if r_rate else "ragas.evaluate() scored nothing")
    print(f"peak RSS (client process): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
