"""The whole comparison in one process (what `paritylab compare` runs; the flow runs the same stages
as separate Prefect tasks)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from paritylab import aio
from paritylab.config import Settings
from paritylab.evaluate.analyse import ParityResult, build_parity
from paritylab.evaluate.generate import generate_outputs
from paritylab.evaluate.persist import persist_parity
from paritylab.evaluate.plan import ComparisonPlan, ComparisonRequest, prepare
from paritylab.evaluate.report import write_report
from paritylab.evaluate.rows import Progress
from paritylab.evaluate.score import score_outputs
from paritylab.providers.base import Provider
from paritylab.providers.runner import Runner
from paritylab.store import Store, open_store
from paritylab.store.ledger import Ledger
from paritylab.store.runs import finish_run


@dataclass(frozen=True)
class ComparisonOutcome:
    plan: ComparisonPlan
    result: ParityResult
    report: Path


async def generate_and_score(
    store: Store,
    plan: ComparisonPlan,
    progress: Progress | None = None,
    providers: dict[str, Provider] | None = None,
) -> None:
    """Stages 1 and 2 with one runner (its ledger rows carry the run id; judges share its limits)."""
    async with Runner(plan.settings, ledger=Ledger(store), run_id=plan.run_id, providers=providers) as runner:
        await generate_outputs(store, runner, plan, progress)
        await score_outputs(store, runner, plan, progress)


def conclude(store: Store, plan: ComparisonPlan, result: ParityResult, report_dir: Path) -> Path:
    """Stages 4 and 5: persist, write the report, mark the run completed."""
    persist_parity(store, plan, result)
    report = write_report(plan, result, report_dir)
    summary = {"verdicts": {v.candidate: v.verdict for v in result.verdicts}, "report": str(report)}
    finish_run(store, plan.run_id, "completed", summary, any(o.simulated for o in result.ops.values()))
    return report


def run_comparison(
    settings: Settings,
    request: ComparisonRequest,
    *,
    report_dir: Path = Path("reports"),
    progress: Progress | None = None,
    providers: dict[str, Provider] | None = None,
) -> ComparisonOutcome:
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as store:
        plan = prepare(store, settings, request)
        aio.run(generate_and_score(store, plan, progress, providers))
        result = build_parity(store, plan)
        report = conclude(store, plan, result, report_dir)
    return ComparisonOutcome(plan, result, report)
