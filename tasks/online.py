"""Tasks of the online eval: plan, score a chunk (mapped, possibly on Dask workers), record, publish."""

from __future__ import annotations

import os

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from paritylab.config import Settings
from paritylab.online.markdown import online_markdown
from paritylab.online.run import OnlineSummary, plan_online, record_online
from paritylab.online.sample import Chunk, ScoringPlan
from paritylab.online.score import ScoredChunk, score_chunk
from paritylab.online.window import parse_day


@task(task_run_name="pick the logged answers still to score")
def plan_online_scoring(settings: Settings, days: int | None, end: str | None) -> ScoringPlan | None:
    """The window and the sampled answers without a final score, in chunks per metric."""
    plan = plan_online(settings, days, parse_day(end) if end else None)
    if plan is not None:
        get_run_logger().info(
            "window %s: %d items to score in %d chunks", plan.window, plan.n_pending, len(plan.chunks)
        )
    return plan


@task(task_run_name="score {chunk.metric} chunk {index}")
def score_logged_answers(settings: Settings, chunk: Chunk, index: int) -> ScoredChunk:
    """Score one chunk of logged answers with one metric (pure; no store access)."""
    scored = score_chunk(settings, chunk)
    # The pid shows which process did the work: with the Dask runner, the cluster's workers.
    get_run_logger().info(
        "scored %d items with %s in process %d", len(chunk.items), chunk.metric, os.getpid()
    )
    return scored


@task(task_run_name="record scores and daily aggregates")
def record_online_scores(
    settings: Settings, plan: ScoringPlan | None, scored: list[ScoredChunk], days: int | None
) -> OnlineSummary:
    """Outputs, scores, runs and online_daily rows, written by this one task."""
    return record_online(settings, plan, scored, days)


@task(task_run_name="publish online summary")
def publish_online_summary(summary: OnlineSummary) -> str:
    """A markdown artifact: per day and group, mean with CI, delta vs the trailing days, flags."""
    markdown = online_markdown(summary)
    create_markdown_artifact(key="online-eval", markdown=markdown, description="online eval")
    return markdown
