"""The simulated model: answers extractively from the context in the prompt, deterministically.

Same request, same answer: every random choice is seeded by the request hash. A profile sets how often
the answer is on target, hallucinates or refuses, and how long it takes.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass
from typing import Any

from paritylab.hashing import content_hash
from paritylab.providers.base import ChatRequest
from paritylab.sim.judge import judge_reply
from paritylab.sim.profiles import SimProfile
from paritylab.sim.text import content_words, count_tokens, sentences

NO_CONTEXT_ANSWER = "I don't have enough information in the provided documents to answer that."
REFUSALS = (
    "I'm sorry, but I can't help with that request.",
    "I'm not able to assist with that. Please contact support.",
)
# Plausible, specific and unsupported by any context: what a hallucination looks like to a judge.
FABRICATIONS = (
    "All plans also include free lifetime phone support at no extra charge.",
    "Refunds are always issued within 24 hours, including on weekends.",
    "This feature was introduced in version 9.2 and requires an enterprise licence.",
    "You can also do this by texting HELP to our 24/7 hotline at 555-0100.",
)
_TAG = r"<{0}>\s*(.*?)\s*</{0}>"


@dataclass(frozen=True)
class SimReply:
    text: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    stop_reason: str


def parse_prompt(text: str) -> tuple[str, str]:
    """(question, context) from our <question>/<context> tags, or from Question:/Context: headings."""
    q = re.search(_TAG.format("question"), text, re.S)
    c = re.search(_TAG.format("context"), text, re.S)
    if q or c:
        return (q.group(1) if q else text), (c.group(1) if c else "")
    m = re.search(r"Context:\s*(.*?)\n\s*Question:\s*(.*)", text, re.S | re.I)
    if m:
        return m.group(2).strip(), m.group(1).strip()
    return text.strip(), ""


def rank_sentences(question: str, context: str) -> list[str]:
    """Context sentences by overlap with the question's content words, best first (stable)."""
    q = content_words(question)
    scored = [(len(q & content_words(s)), -i, s) for i, s in enumerate(sentences(context))]
    return [s for score, _, s in sorted(scored, reverse=True) if score > 0] or [s for *_, s in scored[:1]]


class SimModel:
    def __init__(self, profile: SimProfile) -> None:
        self.profile = profile

    def request_key(self, request: ChatRequest) -> str:
        return content_hash({"profile": self.profile.name, "request": repr(request)}, length=32)

    def respond(self, request: ChatRequest, schema: dict[str, Any] | None = None) -> SimReply:
        """The answer; judge prompts and structured-output requests (`schema`) get the sim judge's."""
        key = self.request_key(request)
        rng = random.Random(key)
        verdict = judge_reply(self.profile, request, schema, key)
        if verdict is not None:
            text = verdict
        else:
            prompt = request.messages[-1].content if request.messages else ""
            text = self._answer(*parse_prompt(prompt), rng)
            if request.response_format == "json":
                text = json.dumps({"answer": text})
        text, stop_reason = _limit(text, request.max_tokens, request.stop)
        prompt_text = " ".join([request.system or "", *(m.content for m in request.messages)])
        return SimReply(
            text, count_tokens(prompt_text), count_tokens(text), self.latency_ms(rng), stop_reason
        )

    def _answer(self, question: str, context: str, rng: random.Random) -> str:
        p = self.profile
        if not context.strip():
            return NO_CONTEXT_ANSWER
        if rng.random() < p.refusal:
            return rng.choice(REFUSALS)
        ranked = rank_sentences(question, context)
        on_target = rng.random() < p.on_target
        chosen = ranked[:2] if on_target or len(ranked) < 3 else ranked[-2:]
        answer = " ".join(chosen)
        if rng.random() < p.hallucination:
            answer = f"{answer} {rng.choice(FABRICATIONS)}"
        return answer

    def latency_ms(self, rng: random.Random) -> float:
        """Log-normal with the profile's median and p95 (fixed when they are equal)."""
        median, p95 = self.profile.latency_median_ms, self.profile.latency_p95_ms
        if p95 <= median:
            return median
        sigma = math.log(p95 / median) / 1.6449
        return median * math.exp(sigma * rng.gauss(0.0, 1.0))


def _limit(text: str, max_tokens: int, stop: tuple[str, ...] | None) -> tuple[str, str]:
    for marker in stop or ():
        if marker and marker in text:
            return text.split(marker, 1)[0], "stop"
    if count_tokens(text) <= max_tokens:
        return text, "stop"
    kept: list[str] = []
    budget = max_tokens
    for word in text.split():
        cost = count_tokens(word)
        if cost > budget:
            break
        kept.append(word)
        budget -= cost
    # Like a real model cut off by max_tokens: the text simply stops (JSON included, then invalid).
    return " ".join(kept), "length"
