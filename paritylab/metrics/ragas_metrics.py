"""ragas metrics behind our interface: one Score per item, failures as judge_error, never NaN.

LLM-based (ragas' collections API + `llm_factory` on our configured client): faithfulness,
answer_relevancy, ragas_rubric (a DiscreteMetric over our rubric scale, fenced inputs).
Non-LLM: rouge, chrf, string_similarity, exact_match, context_precision / context_recall (ragas' legacy
non-LLM classes: string similarity of retrieved context sentences to reference sentences).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ragas.embeddings.base import BaseRagasEmbedding

from paritylab.config import Settings
from paritylab.credentials import scrub_secrets
from paritylab.metrics.base import EvalItem, MetricContext, Score
from paritylab.metrics.embeddings import Embedder, build_embedder
from paritylab.metrics.fence import DATA_RULES, fence_all
from paritylab.metrics.ragas_client import Endpoint, open_endpoint, ragas_llm
from paritylab.sim.text import sentences

Scorer = Callable[[EvalItem], Awaitable[Any]]  # -> ragas MetricResult (or a float)


class RagasEmbedding(BaseRagasEmbedding):  # type: ignore[misc]  # ragas is not followed by mypy
    """Our Embedder as ragas' modern embedding interface (for answer_relevancy)."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self.embedder = embedder

    def embed_text(self, text: str, **kwargs: Any) -> list[float]:
        return asyncio.run(self.aembed_text(text))

    async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
        return (await self.embedder.embed([text]))[0]

    async def aembed_texts(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
        return await self.embedder.embed(texts)


def _value(metric: str, result: Any) -> tuple[float | None, str | None, str, str | None]:
    """(value, label, rationale, error) from a ragas result; NaN / None / non-numbers are errors."""
    raw = getattr(result, "value", result)
    reason = str(getattr(result, "reason", "") or "")[:2000]
    if isinstance(raw, str):
        return None, raw, reason, None  # a label: the caller maps it
    if raw is None or not isinstance(raw, int | float) or math.isnan(raw):
        return (
            None,
            None,
            reason,
            f"ragas returned {raw!r} for {metric} (e.g. no statements could be extracted)",
        )
    return min(1.0, max(0.0, float(raw))), None, reason, None  # cosine means can dip just below 0


@dataclass
class RagasMetric:
    """Runs one ragas scorer per item with bounded concurrency; turns every outcome into a Score."""

    name: str
    required: frozenset[str]
    llm: bool
    build: Callable[[Settings, Any], Scorer]  # (settings, ragas llm or None) -> per-item scorer
    labels: Callable[[str], float] | None = None  # label -> value, for discrete metrics

    @property
    def needs(self) -> frozenset[str]:
        return self.required

    async def score(self, items: Sequence[EvalItem], ctx: MetricContext) -> list[Score]:
        endpoint: Endpoint | None = open_endpoint(ctx.settings) if self.llm else None
        client = None
        try:
            llm, client = ragas_llm(endpoint) if endpoint else (None, None)
            scorer = self.build(ctx.settings, llm)
            gate = asyncio.Semaphore(ctx.settings.metrics.ragas_concurrency)
            return list(await asyncio.gather(*(self._one(scorer, item, gate, endpoint) for item in items)))
        finally:
            if client is not None:
                await client.close()
            if endpoint is not None:
                endpoint.close()

    async def _one(
        self, scorer: Scorer, item: EvalItem, gate: asyncio.Semaphore, endpoint: Endpoint | None
    ) -> Score:
        judge, sim = (endpoint.model_name, endpoint.simulated) if endpoint else (None, False)
        missing = [f for f in sorted(self.required) if getattr(item, f) is None]
        if missing:
            return Score.skipped(self.name, f"item has no {', '.join(missing)}")
        try:
            async with gate:
                result = await scorer(item)
        except Exception as exc:  # ragas, instructor and the SDKs raise many types: each is a recorded value
            keys = [endpoint.api_key] if endpoint else []
            message = scrub_secrets(f"{type(exc).__name__}: {exc}", keys)[:800]
            return Score.failed(self.name, message, judge=judge, simulated=sim)
        value, label, reason, error = _value(self.name, result)
        if label is not None and self.labels is not None:
            try:
                value = self.labels(label)
            except (KeyError, ValueError):
                error = f"ragas returned label {label!r}, which is not on the scale"
        if error is not None or value is None:
            return Score.failed(self.name, error or "no value", judge=judge, simulated=sim)
        return Score(self.name, round(value, 6), label, reason, judge=judge, simulated=sim)


def _faithfulness(settings: Settings, llm: Any) -> Scorer:
    from ragas.metrics.collections import Faithfulness

    metric = Faithfulness(llm=llm)
    return lambda i: metric.ascore(
        user_input=i.question, response=i.output, retrieved_contexts=[i.context or ""]
    )


def _answer_relevancy(settings: Settings, llm: Any) -> Scorer:
    from ragas.metrics.collections import AnswerRelevancy

    metric = AnswerRelevancy(llm=llm, embeddings=RagasEmbedding(build_embedder(settings)))
    return lambda i: metric.ascore(user_input=i.question, response=i.output)


RUBRIC_TEMPLATE = (
    "Evaluate the answer against these criteria:\n{criteria}\n"
    "Choose one value on the scale {scale} (higher is better) and give your reason.\n"
    f"{DATA_RULES}\n\n"
    "{evidence}"
)


def _ragas_rubric(settings: Settings, llm: Any) -> Scorer:
    from ragas.metrics import DiscreteMetric

    rubric = settings.metrics.rubric
    scale = [str(v) for v in range(rubric.scale_min, rubric.scale_max + 1)]
    metric = DiscreteMetric(name="ragas_rubric", prompt=RUBRIC_TEMPLATE, allowed_values=scale)
    criteria = "\n".join(f"- {c}" for c in rubric.criteria)

    def scorer(i: EvalItem) -> Awaitable[Any]:
        sections = [("question", i.question)] + [
            (k, v) for k, v in (("context", i.context), ("reference", i.reference)) if v
        ]
        evidence = fence_all([*sections, ("answer", i.output)])
        scored: Awaitable[Any] = metric.ascore(
            llm=llm, criteria=criteria, scale=", ".join(scale), evidence=evidence
        )
        return scored

    return scorer


def rubric_label_value(settings: Settings) -> Callable[[str], float]:
    lo, hi = settings.metrics.rubric.scale_min, settings.metrics.rubric.scale_max

    def value(label: str) -> float:
        raw = int(label)
        if not lo <= raw <= hi:
            raise ValueError(label)
        return (raw - lo) / (hi - lo)

    return value


def _collection(cls_name: str, **kwargs: Any) -> Callable[[Settings, Any], Scorer]:
    def build(settings: Settings, llm: Any) -> Scorer:
        from ragas.metrics import collections

        metric = getattr(collections, cls_name)(**kwargs)
        return lambda i: metric.ascore(reference=i.reference or "", response=i.output)

    return build


def _context(recall: bool) -> Callable[[Settings, Any], Scorer]:
    """Legacy non-LLM context metrics over sentences: retrieved = context's, reference = reference's.
    They exist only as legacy classes in ragas 0.4.3 (the collections API has no non-LLM version); the
    private modules are imported because the public names only add a misleading deprecation warning."""

    def build(settings: Settings, llm: Any) -> Scorer:
        from ragas.dataset_schema import SingleTurnSample
        from ragas.metrics._context_precision import NonLLMContextPrecisionWithReference
        from ragas.metrics._context_recall import NonLLMContextRecall

        metric = NonLLMContextRecall() if recall else NonLLMContextPrecisionWithReference()

        async def scorer(i: EvalItem) -> float:
            sample = SingleTurnSample(
                retrieved_contexts=sentences(i.context or "") or [""],
                reference_contexts=sentences(i.reference or "") or [""],
            )
            return float(await metric.single_turn_ascore(sample))

        return scorer

    return build


def build_ragas(name: str, settings: Settings) -> RagasMetric:
    ref, ctx_ref = frozenset({"reference"}), frozenset({"context", "reference"})
    table: dict[str, RagasMetric] = {
        "faithfulness": RagasMetric("faithfulness", frozenset({"context"}), True, _faithfulness),
        "answer_relevancy": RagasMetric("answer_relevancy", frozenset(), True, _answer_relevancy),
        "rouge": RagasMetric(
            "rouge", ref, False, _collection("RougeScore", rouge_type="rougeL", mode="fmeasure")
        ),
        "chrf": RagasMetric("chrf", ref, False, _collection("CHRFScore")),
        "string_similarity": RagasMetric(
            "string_similarity", ref, False, _collection("NonLLMStringSimilarity")
        ),
        "exact_match": RagasMetric("exact_match", ref, False, _collection("ExactMatch")),
        "context_precision": RagasMetric("context_precision", ctx_ref, False, _context(recall=False)),
        "context_recall": RagasMetric("context_recall", ctx_ref, False, _context(recall=True)),
    }
    if name == "ragas_rubric":
        return RagasMetric("ragas_rubric", frozenset(), True, _ragas_rubric, rubric_label_value(settings))
    return table[name]
