"""Model upgrade: compare a baseline with candidates on an eval-set version, and gate on the verdicts."""

from __future__ import annotations

from paritylab._env import apply_quiet_defaults

apply_quiet_defaults()

from prefect import flow  # noqa: E402

from tasks.calls import load_config  # noqa: E402
from tasks.evaluate import (  # noqa: E402
    compute_parity,
    generate,
    persist,
    plan_comparison,
    publish_verdicts,
    report,
    score,
)


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
) -> str:
    """Generate -> score -> parity -> persist -> report; returns the run id (then `paritylab gate RUN_ID`)."""
    settings = load_config(config, store)
    plan = plan_comparison(
        settings,
        baseline=baseline,
        candidates=candidates,
        dataset=dataset,
        metrics=metrics,
        margins=margins,
        run_id=run_id,
    )
    generate(plan)
    score(plan)
    result = compute_parity(plan)
    persist(plan, result)
    path = report(plan, result, report_dir)
    publish_verdicts(plan, result, path)
    for verdict in result.verdicts:
        print(f"{verdict.verdict}: {verdict.reason}")
    return plan.run_id
