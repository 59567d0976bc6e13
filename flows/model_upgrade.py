"""Model upgrade: compare a baseline with candidates on an eval-set version, and gate on the verdicts."""

from __future__ import annotations

from paritylab._env import apply_env_defaults

apply_env_defaults()

from dataclasses import asdict, replace  # noqa: E402
from typing import Any, Literal  # noqa: E402

from prefect import flow  # noqa: E402
from prefect.futures import as_completed  # noqa: E402

from paritylab.evaluate.distribute import CHUNK_CASES, share_limits  # noqa: E402
from paritylab.evaluate.generate import StageSummary  # noqa: E402
from paritylab.evaluate.plan import ComparisonRequest  # noqa: E402
from tasks.calls import load_config  # noqa: E402
from tasks.evaluate import (  # noqa: E402
    answer,
    compute_parity,
    generate,
    persist,
    plan_answer_chunks,
    plan_comparison,
    publish_verdicts,
    record,
    report,
    score,
)
from tasks.runners import task_runner as make_task_runner  # noqa: E402

# Processes (Dask) or threads answering chunks at once; each gets this share of every model's limits.
GENERATE_WORKERS = 2


@flow(name="generate-answers", flow_run_name="generate answers in chunks of {chunk_cases} cases")
def generate_in_chunks(
    config: str | None, store: str | None, comparison: dict[str, Any], chunk_cases: int
) -> StageSummary:
    """Answer the run's open chunks on this flow's task runner; this process alone writes the store.
    The plan is read again from the run's parameters: a flow run's parameters go to the API, and the
    cases do not belong there."""
    plan = plan_comparison(load_config(config, store), ComparisonRequest(**comparison))
    todo, done_before = plan_answer_chunks(plan, chunk_cases)
    shared = share_limits(plan.settings, GENERATE_WORKERS)
    futures = [answer.submit(shared, chunk, i) for i, chunk in enumerate(todo)]
    written = [record(plan, future.result()) for future in as_completed(futures)]
    return StageSummary(done_before, sum(written))


@flow(name="model-upgrade", log_prints=True)
def model_upgrade(
    *,
    baseline: str | None = None,
    candidates: list[str] | None = None,
    dataset: str | None = None,
    metrics: list[str] | None = None,
    margins: dict[str, float] | None = None,
    run_id: str | None = None,
    config: str | None = None,
    store: str | None = None,
    report_dir: str = "reports",
    task_runner: Literal["threads", "dask"] | None = None,
    chunk_cases: int = CHUNK_CASES,
) -> str:
    """Generate -> score -> parity -> persist -> report; returns the run id (then `paritylab gate RUN_ID`).
    task_runner 'threads' or 'dask' (a 2-worker local cluster; needs a Prefect server) answers the cases
    in chunks of `chunk_cases` per candidate on that runner; unset, generation runs in this process.
    Scoring stays in this process either way."""
    settings = load_config(config, store)
    request = ComparisonRequest(
        dataset=dataset,
        baseline=baseline,
        candidates=candidates,
        metrics=metrics,
        margins=margins,
        run_id=run_id,
    )
    plan = plan_comparison(settings, request)
    if task_runner is None:
        generate(plan)
    else:
        runner = make_task_runner(task_runner, GENERATE_WORKERS, GENERATE_WORKERS)
        print(f"task runner: {type(runner).__name__} ({GENERATE_WORKERS} workers)")
        # the subflow's parameters go to the API: the request as it resolved, as plain JSON
        dataset_ref = f"{plan.dataset}@v{plan.version}"
        resolved = replace(
            request,
            dataset=dataset_ref,
            baseline=plan.baseline,
            candidates=plan.challengers,
            run_id=plan.run_id,
        )
        comparison = asdict(resolved)
        generate_in_chunks.with_options(task_runner=runner)(config, store, comparison, chunk_cases)
    score(plan)
    result = compute_parity(plan)
    persist(plan, result)
    path = report(plan, result, report_dir)
    publish_verdicts(plan, result, path)
    for verdict in result.verdicts:
        print(f"{verdict.verdict}: {verdict.reason}")
    return plan.run_id
