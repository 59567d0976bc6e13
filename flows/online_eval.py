"""Online eval: score a sample of the window's production answers as logged, aggregate per day, flag."""

from __future__ import annotations

from paritylab._env import apply_env_defaults

apply_env_defaults()

from typing import Literal  # noqa: E402

from prefect import flow  # noqa: E402

from paritylab.online.run import OnlineSummary  # noqa: E402
from tasks.calls import load_config  # noqa: E402
from tasks.online import (  # noqa: E402
    plan_online_scoring,
    publish_online_summary,
    record_online_scores,
    score_logged_answers,
)
from tasks.runners import task_runner as make_task_runner  # noqa: E402


@flow(name="score-online-window", flow_run_name="score logged answers")
def score_online_window(
    config: str | None, store: str | None, days: int | None, end: str | None
) -> OnlineSummary:
    """Plan, score the chunks on this flow's task runner, record."""
    settings = load_config(config, store)
    plan = plan_online_scoring(settings, days, end)
    futures = [score_logged_answers.submit(settings, c, i) for i, c in enumerate(plan.chunks if plan else ())]
    return record_online_scores(settings, plan, [f.result() for f in futures], days)


@flow(name="online-eval", log_prints=True)
def online_eval(
    config: str | None = None,
    store: str | None = None,
    days: int | None = None,
    end: str | None = None,
    task_runner: Literal["threads", "dask"] | None = None,
) -> OnlineSummary:
    """Score the last `days` UTC days ending at `end` (YYYY-MM-DD; default: the newest log's day) and
    compare each with its trailing days. task_runner 'dask' scores on a local Dask cluster."""
    settings = load_config(config, store)
    kind = task_runner or settings.online.task_runner
    runner = make_task_runner(kind, settings.online.dask_workers)
    workers = f" ({settings.online.dask_workers} workers)" if kind == "dask" else ""
    print(f"task runner: {type(runner).__name__}{workers}")
    summary = score_online_window.with_options(task_runner=runner)(config, store, days, end)
    publish_online_summary(summary)
    return summary
