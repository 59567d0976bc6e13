"""Our LLM judges, run through the Runner (rate-limited, retried, cached, priced, ledgered).

- RubricJudge (a Metric): G-Eval-style criteria and scale, a JSON verdict, one re-ask on an unusable
  reply, then a judge_error Score that says why. Never NaN, never a silent 0.
- PairwiseJudge: baseline vs candidate in both orders; a pair counts only when both orders agree,
  otherwise it is a tie and counts against swap consistency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from paritylab.config import RubricConfig, Settings
from paritylab.errors import ConfigError
from paritylab.metrics.base import EvalItem, MetricContext, Score
from paritylab.metrics.judge_prompts import (
    VerdictError,
    judge_request,
    pairwise_prompt,
    parse_pairwise,
    parse_rubric,
    reask_request,
    rubric_prompt,
)
from paritylab.providers.base import ChatRequest
from paritylab.providers.runner import CallResult, CallSpec, Runner

T = TypeVar("T")


@dataclass(frozen=True)
class Judged(Generic[T]):
    """The outcome of one judge question: a parsed verdict, or the reason there is none."""

    verdict: T | None
    error: str | None
    simulated: bool


def judge_model(settings: Settings) -> str:
    if settings.judge is None:
        raise ConfigError(
            "LLM judge metrics need a judge model", hint='set judge = "<a [models] entry>" in paritylab.toml'
        )
    return settings.judge


async def ask(
    ctx: MetricContext,
    requests: Sequence[tuple[ChatRequest, str]],
    parse: Callable[[str], T],
) -> list[Judged[T]]:
    """Ask the judge each (request, item id); re-ask once where the reply does not parse."""
    model = judge_model(ctx.settings)
    sim = ctx.settings.models[model].provider == "sim"
    runner = ctx.runner or Runner(ctx.settings, run_id=ctx.run_id)
    try:

        def spec(request: ChatRequest, item_id: str) -> CallSpec:
            return CallSpec(model, request, "judge", ctx.candidate_id, item_id)

        first = await runner.run([spec(r, i) for r, i in requests])
        outcomes: list[Judged[T] | None] = []
        retry: list[tuple[int, ChatRequest]] = []
        for n, ((request, _), result) in enumerate(zip(requests, first, strict=True)):
            outcome, reason = _parse(result, parse, sim)
            outcomes.append(outcome)
            if outcome is None and result.completion is not None:
                retry.append((n, reask_request(request, result.completion.text, reason)))
        second = await runner.run([spec(r, requests[n][1]) for n, r in retry])
        for (n, _), result in zip(retry, second, strict=True):
            again, reason = _parse(result, parse, sim)
            outcomes[n] = again or Judged(None, f"unusable judge output after one re-ask: {reason}", sim)
        return [o for o in outcomes if o is not None]
    finally:
        if ctx.runner is None:
            await runner.aclose()


def _parse(result: CallResult, parse: Callable[[str], T], sim: bool) -> tuple[Judged[T] | None, str]:
    """(Judged, "") when final (a verdict, or a call that failed for good); (None, reason) to re-ask."""
    if result.completion is None:
        error = f"judge call failed ({result.error_class}): {result.error_message or ''}"[:1000]
        return Judged(None, error, sim), ""
    sim = sim or result.completion.simulated
    try:
        return Judged(parse(result.completion.text), None, sim), ""
    except VerdictError as exc:
        snippet = result.completion.text[:120].replace("\n", " ")
        return None, f"{exc} (reply began: {snippet!r})"


@dataclass
class RubricJudge:
    rubric: RubricConfig
    name: str = "rubric"

    @property
    def needs(self) -> frozenset[str]:
        return frozenset()

    async def score(self, items: Sequence[EvalItem], ctx: MetricContext) -> list[Score]:
        judge = judge_model(ctx.settings)
        requests = [
            (
                judge_request(
                    rubric_prompt(self.rubric, i.question, i.context, i.reference, i.output),
                    self.rubric.max_tokens,
                ),
                i.item_id,
            )
            for i in items
        ]
        out = []
        for judged in await ask(ctx, requests, lambda text: parse_rubric(text, self.rubric)):
            v = judged.verdict
            if v is None:
                out.append(
                    Score.failed(
                        self.name, judged.error or "no verdict", judge=judge, simulated=judged.simulated
                    )
                )
            else:
                out.append(
                    Score(
                        self.name,
                        round(v.value, 6),
                        str(v.raw),
                        v.rationale,
                        judge=judge,
                        simulated=judged.simulated,
                    )
                )
        return out


@dataclass(frozen=True)
class PairItem:
    item: EvalItem  # question, context, reference; its output is unused
    baseline_output: str
    candidate_output: str


@dataclass(frozen=True)
class PairResult:
    case_id: str
    winner: str | None  # baseline | candidate | tie; None on judge_error
    consistent: bool | None
    rationale: str
    status: str  # ok | judge_error
    error: str | None
    judge: str
    simulated: bool


@dataclass
class PairwiseJudge:
    rubric: RubricConfig
    name: str = "pairwise"

    async def judge(self, pairs: Sequence[PairItem], ctx: MetricContext) -> list[PairResult]:
        """Each pair asked twice: baseline as A, then candidate as A."""
        judge = judge_model(ctx.settings)
        requests = []
        for p in pairs:
            i = p.item
            for a, b in ((p.baseline_output, p.candidate_output), (p.candidate_output, p.baseline_output)):
                prompt = pairwise_prompt(
                    self.rubric,
                    question=i.question,
                    context=i.context,
                    reference=i.reference,
                    answer_a=a,
                    answer_b=b,
                )
                requests.append((judge_request(prompt, self.rubric.max_tokens), i.item_id))
        judged = await ask(ctx, requests, parse_pairwise)
        return [_combine(p, judged[2 * n], judged[2 * n + 1], judge) for n, p in enumerate(pairs)]


def _combine(
    pair: PairItem, first: Judged[tuple[str, str]], second: Judged[tuple[str, str]], judge: str
) -> PairResult:
    case, sim = pair.item.item_id, first.simulated or second.simulated
    if first.verdict is None or second.verdict is None:
        errors = "; ".join(e for e in (first.error, second.error) if e)
        return PairResult(case, None, None, "", "judge_error", errors, judge, sim)
    # First order: A = baseline. Second order: A = candidate.
    as_first = {"A": "baseline", "B": "candidate", "tie": "tie"}[first.verdict[0]]
    as_second = {"A": "candidate", "B": "baseline", "tie": "tie"}[second.verdict[0]]
    consistent = as_first == as_second
    winner = as_first if consistent else "tie"
    rationale = f"baseline first: {first.verdict[1]} | candidate first: {second.verdict[1]}"
    if not consistent:
        rationale = f"inconsistent across orders ({as_first} vs {as_second}), counted as a tie. {rationale}"
    return PairResult(case, winner, consistent, rationale[:2000], "ok", None, judge, sim)


def pairwise_scores(results: Sequence[PairResult], metric: str = "pairwise") -> list[Score]:
    """The candidate's view as Scores: win 1.0, tie 0.5, loss 0.0; judge errors stay judge errors."""
    value = {"candidate": 1.0, "tie": 0.5, "baseline": 0.0}
    return [
        Score(metric, value[r.winner], r.winner, r.rationale, judge=r.judge, simulated=r.simulated)
        if r.winner is not None
        else Score.failed(metric, r.error or "no verdict", judge=r.judge, simulated=r.simulated)
        for r in results
    ]
