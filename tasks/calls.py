"""Tasks around the provider runner."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_table_artifact

from paritylab import aio
from paritylab.config import Settings, load_settings
from paritylab.providers.runner import Runner
from paritylab.smoke import CandidateSummary, SmokeCase, load_cases, run_smoke
from paritylab.store import open_store
from paritylab.store.ledger import Ledger
from paritylab.store.runs import finish_run, start_run


@task(task_run_name="load settings")
def load_config(config: str | None, store: str | None) -> Settings:
    """Read paritylab.toml and PARITYLAB_* overrides."""
    return load_settings(Path(config) if config else None, store=Path(store) if store else None)


@task(task_run_name="load smoke cases")
def load_smoke_cases() -> list[SmokeCase]:
    """Read the bundled smoke questions."""
    return load_cases()


@task(task_run_name="answer the smoke cases with every candidate")
def answer_cases(
    settings: Settings, cases: list[SmokeCase], run_id: str | None
) -> tuple[str, list[CandidateSummary]]:
    """Every candidate answers every case through the runner; this task is the flow's one store writer."""
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as db:
        run_id = start_run(
            db, "smoke", {"candidates": list(settings.candidates), "cases": len(cases)}, run_id
        )

        async def go() -> list[CandidateSummary]:
            async with Runner(settings, ledger=Ledger(db), run_id=run_id) as runner:
                return await run_smoke(runner, cases)

        summaries = aio.run(go())
        finish_run(
            db,
            run_id,
            "completed",
            {"candidates": [s.candidate for s in summaries]},
            simulated=any(s.simulated for s in summaries),
        )
    return run_id, summaries


@task(task_run_name="publish summary artifact")
def publish_summary(run_id: str, summaries: list[CandidateSummary]) -> None:
    """A Prefect table artifact: one row per candidate."""
    rows = [
        {
            "candidate": s.candidate,
            "model": s.model_name,
            "answered": s.answered,
            "failed": s.failed,
            "cost_usd": round(s.cost_usd, 6),
            "p95_ms": round(s.latency_p95_ms),
            "token_f1": round(s.token_f1, 3),
            "simulated": s.simulated,
        }
        for s in summaries
    ]
    create_table_artifact(
        key="smoke-eval", table=rows, description=f"smoke eval {run_id} (SIMULATED where marked)"
    )
