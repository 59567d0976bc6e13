"""Tasks of the model-upgrade comparison: each a few lines over paritylab.evaluate. Every task opens the
store for its own step and closes it: DuckDB has one writer, and the steps run one after another."""

from __future__ import annotations

import os
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from paritylab import aio
from paritylab.config import Settings
from paritylab.evaluate.analyse import ParityResult, build_parity
from paritylab.evaluate.distribute import (
    ChunkAnswers,
    GenerationChunk,
    answer_chunk,
    plan_chunks,
    record_answers,
)
from paritylab.evaluate.generate import StageSummary, generate_outputs
from paritylab.evaluate.persist import persist_parity
from paritylab.evaluate.plan import ComparisonPlan, ComparisonRequest, prepare
from paritylab.evaluate.report import SIMULATED_NOTE, verdict_rows, write_report
from paritylab.evaluate.score import score_outputs
from paritylab.providers.runner import Runner
from paritylab.store import Store, open_store
from paritylab.store.ledger import Ledger
from paritylab.store.runs import finish_run


def _open(settings: Settings, read_only: bool = False) -> Store:
    return open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s, read_only=read_only)


@task(
    task_run_name="plan: {request.candidates} vs {request.baseline} on {request.dataset}",
    cache_policy=NO_CACHE,
)
def plan_comparison(settings: Settings, request: ComparisonRequest) -> ComparisonPlan:
    """Resolve candidates and metrics, read the dataset version, record (or resume) the run."""
    with _open(settings) as db:
        return prepare(db, settings, request)


@task(task_run_name="generate answers", cache_policy=NO_CACHE)
def generate(plan: ComparisonPlan) -> StageSummary:
    """Every candidate answers every case not yet answered in this run (batched, cached, ledgered)."""
    with _open(plan.settings) as db:
        return aio.run(_with_runner(db, plan, "generate"))


@task(task_run_name="plan answer chunks", cache_policy=NO_CACHE)
def plan_answer_chunks(plan: ComparisonPlan, chunk_cases: int) -> tuple[list[GenerationChunk], int]:
    """The (candidate, cases) chunks this run has not answered yet, with their cached responses."""
    with _open(plan.settings, read_only=True) as db:
        return plan_chunks(db, plan, chunk_cases)


@task(task_run_name="answer chunk {index}", cache_policy=NO_CACHE)
def answer(settings: Settings, chunk: GenerationChunk, index: int) -> ChunkAnswers:
    """Answer one chunk without touching the store (this runs on a Dask worker)."""
    answers = aio.run(answer_chunk(settings, chunk))
    calls = sum(c.status != "cache_hit" for c in answers.calls)
    # The pid shows which process did the work: with the Dask runner, the cluster's workers.
    get_run_logger().info(
        "answered %d cases of %s (%d provider calls) in process %d",
        len(answers.results), chunk.candidate, calls, os.getpid(),
    )  # fmt: skip
    return answers


@task(task_run_name="record answers of {answers.candidate}", cache_policy=NO_CACHE)
def record(plan: ComparisonPlan, answers: ChunkAnswers) -> int:
    """Commit a chunk's outputs, ledger rows and cache entries (the store's one writer)."""
    with _open(plan.settings) as db:
        return record_answers(db, plan, answers)


@task(task_run_name="score answers", cache_policy=NO_CACHE)
def score(plan: ComparisonPlan) -> StageSummary:
    """Every configured metric scores every answer not yet scored in this run."""
    with _open(plan.settings) as db:
        return aio.run(_with_runner(db, plan, "score"))


@task(task_run_name="compute parity", cache_policy=NO_CACHE)
def compute_parity(plan: ComparisonPlan) -> ParityResult:
    """Paired bootstrap CIs per metric and tag, candidate figures, verdicts."""
    with _open(plan.settings, read_only=True) as db:
        return build_parity(db, plan)


@task(task_run_name="persist verdicts", cache_policy=NO_CACHE)
def persist(plan: ComparisonPlan, result: ParityResult) -> None:
    """Write parity, candidate_stats and verdicts for the run in one transaction."""
    with _open(plan.settings) as db:
        persist_parity(db, plan, result)


@task(task_run_name="write report", cache_policy=NO_CACHE)
def report(plan: ComparisonPlan, result: ParityResult, report_dir: str) -> str:
    """The minimal Markdown/HTML report; marks the run completed."""
    path = write_report(plan, result, Path(report_dir))
    with _open(plan.settings) as db:
        summary = {"verdicts": {v.candidate: v.verdict for v in result.verdicts}, "report": str(path)}
        finish_run(db, plan.run_id, "completed", summary, any(o.simulated for o in result.ops.values()))
    return str(path)


@task(task_run_name="publish verdicts", cache_policy=NO_CACHE)
def publish_verdicts(plan: ComparisonPlan, result: ParityResult, report_path: str) -> None:
    """A table artifact with one row per challenger, and the verdict sentences as Markdown."""
    simulated = any(o.simulated for o in result.ops.values())
    note = f" ({SIMULATED_NOTE})" if simulated else ""
    create_table_artifact(
        key="model-upgrade-verdicts",
        table=verdict_rows(plan, result),
        description=f"model upgrade {plan.run_id} vs {plan.baseline}{note}",
    )
    lines = [f"**{v.verdict}** {v.reason}" for v in result.verdicts]
    create_markdown_artifact(
        key="model-upgrade-summary",
        markdown="\n\n".join([*lines, f"report: {report_path}"]),
        description=f"model upgrade {plan.run_id}",
    )


async def _with_runner(db: Store, plan: ComparisonPlan, stage: str) -> StageSummary:
    async with Runner(plan.settings, ledger=Ledger(db), run_id=plan.run_id) as runner:
        if stage == "generate":
            return await generate_outputs(db, runner, plan)
        return await score_outputs(db, runner, plan)
