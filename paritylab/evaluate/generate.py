"""Stage 1: every candidate answers every case through the runner; outputs are written per batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paritylab.evaluate.cases import EvalCase
from paritylab.evaluate.plan import ComparisonPlan
from paritylab.evaluate.rows import Progress, chunks
from paritylab.prompts import candidate_request
from paritylab.providers.runner import CallResult, CallSpec, Runner, cost_usd
from paritylab.store import Store
from paritylab.store.ledger import utcnow
from paritylab.store.sql import insert_ignore


@dataclass(frozen=True)
class StageSummary:
    done_before: int  # rows already present (a resumed run)
    written: int


def existing_pairs(store: Store, table: str, run_id: str, extra: str = "") -> set[tuple[str, ...]]:
    cols = "case_id, candidate_id" + (f", {extra}" if extra else "")
    return {tuple(r.values()) for r in store.rows(f"SELECT {cols} FROM {table} WHERE run_id = ?", [run_id])}


async def generate_outputs(
    store: Store, runner: Runner, plan: ComparisonPlan, progress: Progress | None = None
) -> StageSummary:
    """Answer the cases not yet answered in this run, batch by batch; each batch is committed before
    the next starts, so a crash loses at most the batch in flight (and its calls are cached)."""
    done = existing_pairs(store, "outputs", plan.run_id)
    total = len(plan.cases) * len(plan.names)
    if progress:
        progress("generate", len(done), total)
    written = 0
    for batch in chunks(plan.cases, plan.settings.parity.batch_size):
        specs = [
            candidate_spec(plan, name, case)
            for name in plan.names
            for case in batch
            if (case.case_id, plan.candidate_id(name)) not in done
        ]
        if not specs:
            continue
        on_result = (lambda _: progress("generate", 1, total)) if progress else None
        results = await runner.run(specs, on_result)
        insert_ignore(store.con, "outputs", [output_row(plan, r) for r in results])
        written += len(results)
    return StageSummary(len(done), written)


def candidate_spec(plan: ComparisonPlan, name: str, case: EvalCase) -> CallSpec:
    settings = plan.settings
    return CallSpec(
        settings.candidates[name].model,
        candidate_request(settings, name, case.question, case.context or ""),
        purpose="generate",
        candidate_id=plan.candidate_id(name),
        item_id=case.case_id,
    )


def output_row(plan: ComparisonPlan, result: CallResult) -> dict[str, Any]:
    """The answer's cost is priced from its tokens, also when it came from the cache: a resumed run
    reports what the answers cost, not what the resumption cost (that is in the ledger)."""
    spec, done = result.spec, result.completion
    name = next(n for n in plan.names if plan.candidate_id(n) == spec.candidate_id)
    model_cfg = plan.settings.models[result.served_by]
    return {
        "run_id": plan.run_id,
        "case_id": spec.item_id,
        "candidate_id": spec.candidate_id,
        "candidate": name,
        "model_name": result.served_by,
        "request_hash": result.request_hash,
        "output_text": done.text if done else None,
        "status": "ok" if done else "error",
        "error_class": result.error_class,
        "error_message": (result.error_message or "")[:2000] or None,
        "input_tokens": done.input_tokens if done else None,
        "output_tokens": done.output_tokens if done else None,
        "cost_usd": cost_usd(model_cfg, done.input_tokens, done.output_tokens) if done else 0.0,
        "latency_ms": done.latency_ms if done else None,
        "attempts": result.attempts,
        "cached": result.cached,
        "simulated": done.simulated if done else model_cfg.provider == "sim",
        "created_at": utcnow(),
    }
