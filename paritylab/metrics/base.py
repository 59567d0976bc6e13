"""The metric interface every scorer implements: lexical checks, ragas metrics and LLM judges alike.

A metric scores a batch of items and returns one `Score` per item, in order. A failure is a value, not
an exception and never NaN: `status="judge_error"` with the error, `value=None`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from paritylab.config import Settings
    from paritylab.providers.runner import Runner

ScoreStatus = Literal["ok", "judge_error", "skipped"]


@dataclass(frozen=True)
class EvalItem:
    """What a metric sees: the question, the retrieved context, the answer and (maybe) a reference."""

    item_id: str
    question: str
    output: str
    context: str | None = None
    reference: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Score:
    metric: str
    value: float | None  # in [0, 1]; None exactly when status != "ok"
    label: str | None = None
    rationale: str = ""
    status: ScoreStatus = "ok"
    error: str | None = None
    judge: str | None = None  # model name of the judge; None for non-LLM metrics
    simulated: bool = False

    def __post_init__(self) -> None:
        if self.status == "ok":
            if self.value is None or math.isnan(self.value) or not 0.0 <= self.value <= 1.0:
                raise ValueError(f"metric {self.metric}: an ok score needs a value in [0, 1]: {self.value}")
        elif self.value is not None:
            raise ValueError(f"metric {self.metric}: a {self.status} score carries no value")

    @classmethod
    def failed(cls, metric: str, error: str, *, judge: str | None = None, simulated: bool = False) -> Score:
        return cls(metric, None, status="judge_error", error=error, judge=judge, simulated=simulated)

    @classmethod
    def skipped(cls, metric: str, why: str) -> Score:
        return cls(metric, None, status="skipped", error=why)


@dataclass
class MetricContext:
    """What a metric may use: the settings, and the runner for LLM calls (rate-limited, cached, ledgered)."""

    settings: Settings
    runner: Runner | None = None
    run_id: str | None = None
    candidate_id: str | None = None
    extras: dict[str, object] = field(default_factory=dict)


class Metric(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def needs(self) -> frozenset[str]:
        """Item fields the metric cannot do without ("context", "reference"); items lacking one are
        skipped."""
        ...

    async def score(self, items: Sequence[EvalItem], ctx: MetricContext) -> list[Score]:
        """One Score per item, in the same order."""
        ...
