"""Translate OpenAI / Anthropic wire bodies to ChatRequest and SimReply back to wire bodies."""

from __future__ import annotations

import itertools
from typing import Any

from paritylab.providers.base import ChatRequest, Message
from paritylab.sim.model import SimReply

_ids = itertools.count(1)


class WireError(ValueError):
    """The request body does not follow the wire format; becomes a 400."""


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    raise WireError("message content must be a string or a list of text parts")


def _messages(raw: Any) -> tuple[list[Message], list[str]]:
    if not isinstance(raw, list) or not raw:
        raise WireError("'messages' must be a non-empty list")
    messages, system = [], []
    for m in raw:
        if not isinstance(m, dict):
            raise WireError("each message must be an object with role and content")
        role, content = m.get("role"), _text(m.get("content", ""))
        if role in ("system", "developer"):
            system.append(content)
        elif role in ("user", "assistant"):
            messages.append(Message(role, content))
        else:
            raise WireError(f"unknown message role {role!r}")
    return messages, system


def _max_tokens(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WireError(f"max_tokens must be a positive integer, got {value!r}")
    return value


def openai_request(body: dict[str, Any]) -> ChatRequest:
    messages, system = _messages(body.get("messages"))
    stop = body.get("stop")
    fmt_spec = body.get("response_format") or {}
    if not isinstance(fmt_spec, dict):
        raise WireError('response_format must be an object such as {"type": "json_object"}')
    fmt = fmt_spec.get("type")
    raw_max = body.get("max_completion_tokens", body.get("max_tokens"))
    return ChatRequest(
        messages=tuple(messages),
        system="\n".join(system) or None,
        temperature=body.get("temperature"),
        max_tokens=_max_tokens(512 if raw_max is None else raw_max),
        top_p=body.get("top_p"),
        seed=body.get("seed"),
        stop=tuple([stop] if isinstance(stop, str) else stop) if stop else None,
        response_format="json" if fmt in ("json_object", "json_schema") else "text",
    )


def anthropic_request(body: dict[str, Any]) -> ChatRequest:
    if "max_tokens" not in body:
        raise WireError("max_tokens: field required")
    messages, _ = _messages(body.get("messages"))
    system = body.get("system")
    stop = body.get("stop_sequences")
    return ChatRequest(
        messages=tuple(messages),
        system=_text(system) if system else None,
        temperature=body.get("temperature"),
        max_tokens=_max_tokens(body["max_tokens"]),
        top_p=body.get("top_p"),
        stop=tuple(stop) if stop else None,
    )


def openai_response(model: str, reply: SimReply) -> dict[str, Any]:
    finish = "length" if reply.stop_reason == "length" else "stop"
    return {
        "id": f"chatcmpl-sim{next(_ids)}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": reply.text}}
        ],
        "usage": {
            "prompt_tokens": reply.input_tokens,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
        },
    }


def anthropic_response(model: str, reply: SimReply) -> dict[str, Any]:
    return {
        "id": f"msg_sim{next(_ids)}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "stop_reason": "max_tokens" if reply.stop_reason == "length" else "end_turn",
        "stop_sequence": None,
        "content": [{"type": "text", "text": reply.text}],
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
    }


def error_body(flavour: str, kind: str, message: str) -> dict[str, Any]:
    if flavour == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"type": kind, "message": message, "param": None, "code": kind}}
