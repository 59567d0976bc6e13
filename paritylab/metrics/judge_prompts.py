"""The rubric and pairwise judge prompts, and strict parsers for their JSON verdicts.

A verdict that cannot be used raises `VerdictError` with the reason; the judges re-ask once with that
reason, then record a judge_error. Nothing here ever produces NaN or a default score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from paritylab.config import RubricConfig
from paritylab.metrics.fence import DATA_RULES, fence_all
from paritylab.providers.base import ChatRequest, Message

RUBRIC_TASK = "paritylab judge task: rubric"
PAIRWISE_TASK = "paritylab judge task: pairwise"
JUDGE_SYSTEM = (
    "You are a careful, impartial evaluation judge. "
    + DATA_RULES
    + " Reply with exactly one JSON object and nothing else."
)
REASK = (
    "Your previous reply could not be used: {reason}. Reply again with only the JSON object described "
    "above, with no other text."
)
MAX_RATIONALE = 2000


class VerdictError(ValueError):
    """The judge's reply is not a usable verdict; the message says why."""


@dataclass(frozen=True)
class RubricVerdict:
    raw: int
    value: float  # normalised to [0, 1]
    rationale: str


def _criteria(rubric: RubricConfig) -> str:
    return "\n".join(f"{i}. {c}" for i, c in enumerate(rubric.criteria, 1))


def _evidence(question: str, context: str | None, reference: str | None) -> list[tuple[str, str]]:
    sections = [("question", question)]
    if context is not None:
        sections.append(("context", context))
    if reference is not None:
        sections.append(("reference", reference))
    return sections


def rubric_prompt(
    rubric: RubricConfig, question: str, context: str | None, reference: str | None, answer: str
) -> str:
    lo, hi = rubric.scale_min, rubric.scale_max
    blocks = fence_all([*_evidence(question, context, reference), ("answer", answer)])
    return (
        f"{RUBRIC_TASK}\n"
        f"Evaluate the answer against these criteria:\n{_criteria(rubric)}\n"
        f"Scale: integers from {lo} (worst) to {hi} (best).\n"
        "Steps: read the question and any context and reference; check each criterion against the answer; "
        "then decide one overall score.\n\n"
        f"{blocks}\n\n"
        f'Reply with JSON only: {{"score": <integer {lo}-{hi}>, "rationale": "<one or two sentences>"}}'
    )


def pairwise_prompt(
    rubric: RubricConfig,
    *,
    question: str,
    context: str | None,
    reference: str | None,
    answer_a: str,
    answer_b: str,
) -> str:
    blocks = fence_all(
        [*_evidence(question, context, reference), ("answer_a", answer_a), ("answer_b", answer_b)]
    )
    return (
        f"{PAIRWISE_TASK}\n"
        f"Compare answer A and answer B against these criteria:\n{_criteria(rubric)}\n"
        "The order in which the answers are shown says nothing about their quality. Answer 'tie' when "
        "neither is better.\n\n"
        f"{blocks}\n\n"
        'Reply with JSON only: {"winner": "A" | "B" | "tie", "rationale": "<one or two sentences>"}'
    )


def judge_request(prompt: str, max_tokens: int) -> ChatRequest:
    return ChatRequest(
        messages=(Message("user", prompt),),
        system=JUDGE_SYSTEM,
        temperature=0.0,
        max_tokens=max_tokens,
        response_format="json",
    )


def reask_request(first: ChatRequest, reply: str, reason: str) -> ChatRequest:
    """The same conversation plus the bad reply and why it was rejected: one more chance."""
    follow_up = (Message("assistant", reply), Message("user", REASK.format(reason=reason)))
    return ChatRequest(
        messages=first.messages + follow_up,
        system=first.system,
        temperature=first.temperature,
        max_tokens=first.max_tokens,
        response_format=first.response_format,
    )


def extract_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in `text` (models wrap JSON in prose or code fences)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    raise VerdictError("the reply holds no JSON object")


def _rationale(obj: dict[str, Any]) -> str:
    rationale = obj.get("rationale", "")
    if not isinstance(rationale, str):
        raise VerdictError("'rationale' must be a string")
    return rationale.strip()[:MAX_RATIONALE]


def parse_rubric(text: str, rubric: RubricConfig) -> RubricVerdict:
    obj = extract_json_object(text)
    raw = obj.get("score")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise VerdictError(f"'score' must be an integer, got {raw!r}")
    lo, hi = rubric.scale_min, rubric.scale_max
    if not lo <= raw <= hi:
        raise VerdictError(f"'score' {raw} is outside the scale {lo}-{hi}")
    return RubricVerdict(raw, (raw - lo) / (hi - lo), _rationale(obj))


def parse_pairwise(text: str) -> tuple[str, str]:
    """('A' | 'B' | 'tie', rationale)."""
    obj = extract_json_object(text)
    winner = obj.get("winner")
    normalised = {"a": "A", "b": "B", "tie": "tie"}.get(str(winner).strip().lower()) if winner else None
    if normalised is None:
        raise VerdictError(f'\'winner\' must be "A", "B" or "tie", got {winner!r}')
    return normalised, _rationale(obj)
