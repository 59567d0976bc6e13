"""The simulated judge: answers paritylab's rubric and pairwise prompts, and ragas' structured-output
requests, deterministically from lexical evidence (support of the answer in the context, overlap with
the question and the reference). Its verdicts are SIMULATED wherever they appear.

It also misbehaves like a real judge, on purpose: a profile's `garbage` rate makes it reply with text
that is not a usable verdict, and near-ties go to whichever answer is shown first (position bias), so the
re-ask, judge_error and swap-consistency paths are exercised offline.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

from paritylab.metrics.fence import fenced_sections
from paritylab.metrics.judge_prompts import PAIRWISE_TASK, RUBRIC_TASK
from paritylab.providers.base import ChatRequest
from paritylab.sim.profiles import SimProfile
from paritylab.sim.text import content_words, sentences

_SCHEMA_MARKERS = ("json_schema:", "as specified in JSON Schema:")
_SCALE = re.compile(r"Scale: integers from (\d+) \(worst\) to (\d+) \(best\)")
_DECLINE = re.compile(
    r"\b(?:I'm sorry|I am sorry|can't help|cannot help|not able to assist|don't have enough information|"
    r"I don't know|not sure)\b",
    re.I,
)
NEAR_TIE = 0.05
GARBAGE = (
    "Sure! The answer looks pretty good to me overall.",
    '{"score": "excellent", "rationale": "great"}',
    '{"verdict": 4}',
    '{"score": 99, "rationale": "off the scale"}',
    "NaN",
    '{"winner": "both", "rationale": "cannot decide"}',
    '```json\n{"score": 3, "rationale": "cut off',
)


@dataclass(frozen=True)
class Evidence:
    quality: float  # in [0, 1]
    reason: str


def declines(answer: str) -> bool:
    return bool(_DECLINE.search(answer))


def support(answer: str, context: str) -> float:
    """Share of the answer's sentences whose content words are (almost) all in the context."""
    ctx = content_words(context)
    parts = [content_words(s) for s in sentences(answer)]
    parts = [p for p in parts if p]
    return sum(len(p & ctx) >= 0.8 * len(p) for p in parts) / len(parts) if parts else 0.0


def overlap(answer: str, other: str) -> float:
    a, o = content_words(answer), content_words(other)
    return len(a & o) / len(o) if o else 0.0


def assess(question: str, context: str | None, reference: str | None, answer: str) -> Evidence:
    """Quality of an answer from lexical evidence, with the reason a judge would give."""
    if not answer.strip():
        return Evidence(0.0, "The answer is empty.")
    if declines(answer):
        return Evidence(0.1, "The answer declines or says it does not know.")
    parts: list[tuple[float, float, str]] = [(0.2, min(1.0, 2 * overlap(answer, question)), "on topic")]
    if context:
        parts.append((0.5, support(answer, context), "supported by the context"))
    if reference:
        parts.append((0.3, min(1.0, 1.5 * overlap(answer, reference)), "in line with the reference"))
    total = sum(w for w, _, _ in parts)
    quality = sum(w * v for w, v, _ in parts) / total
    detail = "; ".join(f"{label}: {v:.0%}" for _, v, label in parts)
    return Evidence(quality, f"Lexical evidence ({detail}).")


def judge_reply(
    profile: SimProfile, request: ChatRequest, schema: dict[str, Any] | None, key: str
) -> str | None:
    """The judge's reply text, or None when the request is not a judge request."""
    first = request.messages[0].content if request.messages else ""
    if schema is None:
        schema = find_schema(request.system or "") or find_schema(first)
    is_ours = first.startswith((RUBRIC_TASK, PAIRWISE_TASK))
    if not is_ours and schema is None:
        return None
    if random.Random(f"{key}:garbage").random() < profile.garbage:
        return random.Random(f"{key}:which").choice(GARBAGE)
    if first.startswith(RUBRIC_TASK):
        return json.dumps(rubric_verdict(first))
    if first.startswith(PAIRWISE_TASK):
        return json.dumps(pairwise_verdict(first))
    assert schema is not None
    from paritylab.sim.structured import structured_reply

    return json.dumps(structured_reply(schema, first))


def rubric_verdict(prompt: str) -> dict[str, Any]:
    s = fenced_sections(prompt)
    scale = _SCALE.search(prompt)
    lo, hi = (int(scale.group(1)), int(scale.group(2))) if scale else (1, 5)
    ev = assess(s.get("question", ""), s.get("context"), s.get("reference"), s.get("answer", ""))
    return {"score": lo + round(ev.quality * (hi - lo)), "rationale": f"SIMULATED judge. {ev.reason}"}


def pairwise_verdict(prompt: str) -> dict[str, Any]:
    s = fenced_sections(prompt)
    q, c, r = s.get("question", ""), s.get("context"), s.get("reference")
    a, b = assess(q, c, r, s.get("answer_a", "")), assess(q, c, r, s.get("answer_b", ""))
    if abs(a.quality - b.quality) < NEAR_TIE:
        # Position bias, as real judges show it: a near-tie goes to the answer shown first.
        return {
            "winner": "A",
            "rationale": "SIMULATED judge. Both answers are close; A reads slightly better.",
        }
    winner = "A" if a.quality > b.quality else "B"
    return {"winner": winner, "rationale": f"SIMULATED judge. A: {a.reason} B: {b.reason}"}


def find_schema(text: str) -> dict[str, Any] | None:
    """A JSON schema embedded in a prompt (instructor's JSON mode, ragas' prompt templates)."""
    for marker in _SCHEMA_MARKERS:
        at = text.find(marker)
        if at == -1:
            continue
        start = text.find("{", at)
        try:
            value, _ = json.JSONDecoder().raw_decode(text, start)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(value, dict) and ("properties" in value or "type" in value):
            return value
    return None
