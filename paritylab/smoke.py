"""The smoke eval: every configured candidate answers the bundled smoke questions through the runner.

It exercises the whole foundation (config, store, runner, all adapters through sim-serve, cache,
ledger, cost) and scores answers with two honest lexical checks. Until the nightly pipeline lands this
is what `paritylab demo` runs.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paritylab.config import Settings
from paritylab.metrics.lexical import grounded, token_f1
from paritylab.providers.runner import CallResult, CallSpec, Runner

SMOKE_CASES = Path(__file__).resolve().parent.parent / "datasets" / "smoke" / "cases.jsonl"


@dataclass(frozen=True)
class SmokeCase:
    case_id: str
    question: str
    context: str
    reference: str


@dataclass(frozen=True)
class CandidateSummary:
    candidate: str
    candidate_id: str
    model_name: str
    answered: int
    failed: int
    from_cache: int
    attempts: int
    cost_usd: float
    latency_p50_ms: float
    latency_p95_ms: float
    token_f1: float
    grounded: float
    simulated: bool


def load_cases(path: Path = SMOKE_CASES) -> list[SmokeCase]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [SmokeCase(r["case_id"], r["question"], r["context"], r["reference"]) for r in rows]


def build_specs(settings: Settings, cases: list[SmokeCase]) -> list[CallSpec]:
    from paritylab.prompts import candidate_request

    return [
        CallSpec(
            settings.candidates[name].model,
            candidate_request(settings, name, case.question, case.context),
            purpose="generate",
            candidate_id=settings.candidate_id(name),
            item_id=case.case_id,
        )
        for name in settings.candidates
        for case in cases
    ]


async def run_smoke(
    runner: Runner, cases: list[SmokeCase], on_result: Callable[[CallResult], None] | None = None
) -> list[CandidateSummary]:
    results = await runner.run(build_specs(runner.settings, cases), on_result)
    by_case = {c.case_id: c for c in cases}
    return [summarise(runner.settings, name, results, by_case) for name in runner.settings.candidates]


def summarise(
    settings: Settings, name: str, results: list[CallResult], cases: dict[str, SmokeCase]
) -> CandidateSummary:
    cid = settings.candidate_id(name)
    mine = [r for r in results if r.spec.candidate_id == cid]
    ok = [r for r in mine if r.completion is not None]
    latencies = sorted(r.completion.latency_ms for r in ok if r.completion) or [0.0]
    f1 = [token_f1(r.completion.text, cases[str(r.spec.item_id)].reference) for r in ok if r.completion]
    ground = [grounded(r.completion.text, cases[str(r.spec.item_id)].context) for r in ok if r.completion]
    return CandidateSummary(
        candidate=name,
        candidate_id=cid,
        model_name=settings.candidates[name].model,
        answered=len(ok),
        failed=len(mine) - len(ok),
        from_cache=sum(r.cached for r in mine),
        attempts=sum(r.attempts for r in mine),
        cost_usd=sum(r.cost_usd for r in mine),
        latency_p50_ms=statistics.median(latencies),
        latency_p95_ms=latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        token_f1=statistics.fmean(f1) if f1 else 0.0,
        grounded=statistics.fmean(ground) if ground else 0.0,
        simulated=any(r.completion.simulated for r in ok if r.completion),
    )
