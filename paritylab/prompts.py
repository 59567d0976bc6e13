"""Render a candidate's prompt template into a ChatRequest."""

from __future__ import annotations

from paritylab.config import Settings
from paritylab.providers.base import ChatRequest, Message


def render(template: str, question: str, context: str) -> str:
    """Substitute {question} and {context} literally: str.format would choke on braces in user text
    or in JSON examples inside the template."""
    return template.replace("{context}", context).replace("{question}", question)


def candidate_request(settings: Settings, candidate: str, question: str, context: str) -> ChatRequest:
    cand = settings.candidates[candidate]
    prompt = settings.prompts[cand.prompt]
    params = cand.params
    return ChatRequest(
        messages=(Message("user", render(prompt.template, question, context)),),
        system=prompt.system or None,
        temperature=params.temperature,
        max_tokens=params.max_tokens,
        top_p=params.top_p,
        seed=params.seed,
        stop=params.stop,
    )
