"""The smoke eval as a Prefect flow: load config and cases, answer, publish."""

from __future__ import annotations

from paritylab._env import apply_env_defaults

apply_env_defaults()

from prefect import flow  # noqa: E402

from tasks.calls import answer_cases, load_config, load_smoke_cases, publish_summary  # noqa: E402


@flow(name="smoke-eval", log_prints=True)
def smoke_eval(config: str | None = None, store: str | None = None, run_id: str | None = None) -> str:
    """Every configured candidate answers the bundled smoke questions; returns the run id."""
    settings = load_config(config, store)
    cases = load_smoke_cases()
    run_id, summaries = answer_cases(settings, cases, run_id)
    publish_summary(run_id, summaries)
    return run_id
