"""The nightly flow on 5,000 generated logs with two zero-wait sim candidates: total wall time and the
share of it spent in Prefect orchestration (target < 20%).

Orchestration time is the wall time of the nightly flow minus the time covered by its task runs
(the union of their running intervals, read back through the Prefect API for the whole flow-run tree):
flow and subflow start-up, task scheduling, state changes and result handling. The first flow call of
the process also starts Prefect's ephemeral API: that start-up is printed apart and left out of the
share (a deployment talks to a running server).

    python bench/nightly.py [--calls 5000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from _common import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
CONFIG = """
store = "{store}"
[models.sim-good]
provider = "sim"
model = "sim-good"
profile = "good"
price_input_per_mtok = 0.15
price_output_per_mtok = 0.60
concurrency = 64
sim_wait_scale = 0.0
[models.sim-equivalent]
provider = "sim"
model = "sim-equivalent"
profile = "equivalent"
price_input_per_mtok = 0.10
price_output_per_mtok = 0.40
concurrency = 64
sim_wait_scale = 0.0
[prompts.support-v1]
version = "1"
system = "Answer only from the documents inside <context>. If they do not contain the answer, say so."
template = "<context>\\n{{context}}\\n</context>\\n<question>\\n{{question}}\\n</question>"
[candidates.baseline]
model = "sim-good"
prompt = "support-v1"
[candidates.challenger]
model = "sim-equivalent"
prompt = "support-v1"
[cases]
datasets_dir = "{tmp}/datasets"
golden_file = "{root}/datasets/golden/cases.jsonl"
[report]
dir = "{tmp}/reports"
[parity]
baseline = "baseline"
[parity.metrics.token_f1]
margin = 0.05
[parity.metrics.grounded]
margin = 0.05
"""


def flow_tree_task_intervals(root: UUID) -> list[tuple[float, float]]:
    """(start, end) of every task run in the flow run `root` and all its subflows."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterParentFlowRunId

    async def read() -> list[tuple[float, float]]:
        async with get_client() as client:
            ids, frontier = [root], [root]
            while frontier:
                children = await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=frontier)
                    )
                )
                frontier = [c.id for c in children if c.id not in ids]
                ids += frontier
            runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
            return [
                (r.start_time.timestamp(), r.end_time.timestamp())
                for r in runs
                if r.start_time and r.end_time
            ]

    return asyncio.run(read())


def covered(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of intervals (mapped tasks run concurrently: do not count them twice)."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def counts(store: Path) -> dict[str, Any]:
    from paritylab.store import open_store

    with open_store(store, read_only=True) as db:
        return db.rows("""SELECT (SELECT count(*) FROM logs) AS logs,
            (SELECT max(n_cases) FROM dataset_versions) AS cases,
            (SELECT count(*) FROM outputs WHERE candidate_id <> 'production') AS outputs,
            (SELECT string_agg(candidate || ' ' || verdict, ', ') FROM verdicts) AS verdicts""")[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--keep", type=Path, help="work in this folder instead of a temporary one")
    args = ap.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="paritylab-bench-nightly-"))
    sample = tmp / "sample"
    gen = [
        sys.executable,
        str(ROOT / "datasets/sample/generate.py"),
        "--out",
        str(sample),
        "--calls",
        str(args.calls),
    ]
    subprocess.run(gen, check=True, capture_output=True)
    store, config = tmp / "bench.duckdb", tmp / "paritylab.toml"
    config.write_text(CONFIG.format(store=store, tmp=tmp, root=ROOT), encoding="utf-8")

    from prefect import flow

    started = time.perf_counter()
    flow(name="warm-up")(lambda: None)()  # starts the ephemeral API
    startup = time.perf_counter() - started
    from flows.nightly import nightly_eval

    started = time.perf_counter()
    state = nightly_eval(logs=[str(sample / "logs")], config=str(config), store=str(store), return_state=True)
    wall = time.perf_counter() - started
    assert state.is_completed(), state
    work = covered(flow_tree_task_intervals(state.state_details.flow_run_id))
    c = counts(store)
    share = (wall - work) / wall
    print(
        f"nightly on {c['logs']} stored logs, {c['cases']} eval cases, 2 candidates ({c['outputs']} answers)"
    )
    print(f"verdicts: {c['verdicts']}")
    print(f"ephemeral Prefect API start (not counted): {startup:.1f} s")
    print(f"wall time {wall:.1f} s; inside task runs {work:.1f} s; orchestration {wall - work:.1f} s")
    print(f"orchestration share {share:.1%} (target < 20%, ratio {share / 0.20:.2f})")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
