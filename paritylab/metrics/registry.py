"""Metrics by name, as the config selects them. Factories, so each run gets fresh metric objects.

Modules are imported inside the factories: listing the names costs nothing, and ragas (2-3 s to import)
loads only when a ragas metric is built.
"""

from __future__ import annotations

from collections.abc import Callable

from paritylab.config import Settings
from paritylab.errors import ConfigError
from paritylab.metrics.base import Metric

Factory = Callable[[Settings], Metric]


def _lexical(name: str) -> Factory:
    def build(settings: Settings) -> Metric:
        from paritylab.metrics import lexical

        return {"token_f1": lexical.TOKEN_F1, "grounded": lexical.GROUNDED}[name]

    return build


def _policy(name: str) -> Factory:
    def build(settings: Settings) -> Metric:
        from paritylab.metrics.policy import build_policy

        return build_policy(name, settings)

    return build


def _ragas(name: str) -> Factory:
    def build(settings: Settings) -> Metric:
        from paritylab.metrics.ragas_metrics import build_ragas

        return build_ragas(name, settings)

    return build


def _rubric(settings: Settings) -> Metric:
    from paritylab.metrics.judges import RubricJudge

    return RubricJudge(settings.metrics.rubric)


def _semantic(settings: Settings) -> Metric:
    from paritylab.metrics.embeddings import SemanticSimilarity, build_embedder

    return SemanticSimilarity(build_embedder(settings))


# name -> (kind, factory). Kinds: lexical, policy, embedding, judge (our LLM judges via the Runner),
# ragas-llm (ragas' own SDK client), ragas (no LLM).
CATALOGUE: dict[str, tuple[str, Factory]] = {
    "token_f1": ("lexical", _lexical("token_f1")),
    "grounded": ("lexical", _lexical("grounded")),
    "semantic_similarity": ("embedding", _semantic),
    "rubric": ("judge", _rubric),
    "no_pii_leak": ("policy", _policy("no_pii_leak")),
    "no_refusal": ("policy", _policy("no_refusal")),
    "json_valid": ("policy", _policy("json_valid")),
    "format_ok": ("policy", _policy("format_ok")),
    **{n: ("ragas-llm", _ragas(n)) for n in ("faithfulness", "answer_relevancy", "ragas_rubric")},
    **{
        n: ("ragas", _ragas(n))
        for n in ("rouge", "chrf", "string_similarity", "exact_match", "context_precision", "context_recall")
    },
}
FACTORIES: dict[str, Factory] = {name: factory for name, (_, factory) in CATALOGUE.items()}
LLM_KINDS = frozenset({"judge", "ragas-llm"})


def available_metrics() -> list[str]:
    return sorted(FACTORIES)


def metric_kind(name: str) -> str:
    return CATALOGUE[name][0]


def build_metric(name: str, settings: Settings) -> Metric:
    try:
        factory = FACTORIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown metric '{name}'", hint=f"choose from: {', '.join(available_metrics())}"
        ) from None
    return factory(settings)


def enabled_metrics(settings: Settings) -> list[Metric]:
    """The metrics `[metrics] enabled` selects, in the order given."""
    return [build_metric(name, settings) for name in settings.metrics.enabled]
