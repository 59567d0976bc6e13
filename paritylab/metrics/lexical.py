"""Non-LLM metrics that need nothing but the text: token F1 against the reference, groundedness."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from paritylab.metrics.base import EvalItem, MetricContext, Score
from paritylab.sim.text import content_words, sentences


def token_f1(answer: str, reference: str) -> float:
    """SQuAD-style F1 over content words."""
    a, r = content_words(answer), content_words(reference)
    common = len(a & r)
    if not a or not r or not common:
        return 0.0
    precision, recall = common / len(a), common / len(r)
    return 2 * precision * recall / (precision + recall)


def grounded(answer: str, context: str) -> float:
    """Share of the answer's sentences whose content words all occur in the context."""
    ctx = content_words(context)
    parts = sentences(answer)
    return sum(content_words(s) <= ctx for s in parts) / len(parts) if parts else 0.0


@dataclass(frozen=True)
class PairMetric:
    """A pure function of (output, one item field), applied item by item."""

    name: str
    field: str  # "reference" or "context"
    fn: Callable[[str, str], float]

    @property
    def needs(self) -> frozenset[str]:
        return frozenset({self.field})

    async def score(self, items: Sequence[EvalItem], ctx: MetricContext) -> list[Score]:
        out = []
        for item in items:
            other = getattr(item, self.field)
            if other is None:
                out.append(Score.skipped(self.name, f"item has no {self.field}"))
            else:
                out.append(Score(self.name, round(self.fn(item.output, other), 6)))
        return out


TOKEN_F1 = PairMetric("token_f1", "reference", token_f1)
GROUNDED = PairMetric("grounded", "context", grounded)
