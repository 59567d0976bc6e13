"""Translate OpenAI / Anthropic wire bodies to ChatRequest and SimReply back to wire bodies."""

from __future__ import annotations

import itertools
import json
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


def openai_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a `response_format: json_schema` request (json_object mode carries it in a prompt)."""
    fmt = body.get("response_format") or {}
    spec = fmt.get("json_schema") if isinstance(fmt, dict) and fmt.get("type") == "json_schema" else None
    schema = spec.get("schema") if isinstance(spec, dict) else None
    return schema if isinstance(schema, dict) else None


def anthropic_tool(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(name, input schema) of the tool the reply must call: the forced one, else the only one offered."""
    tools = body.get("tools")
    if not isinstance(tools, list) or not tools:
        return None
    choice = body.get("tool_choice") or {}
    forced = choice.get("name") if isinstance(choice, dict) and choice.get("type") == "tool" else None
    if forced is None and len(tools) > 1:
        return None  # the model may answer in text: a plain reply is valid
    for tool in tools:
        if isinstance(tool, dict) and (forced is None or tool.get("name") == forced):
            schema = tool.get("input_schema")
            return str(tool.get("name")), schema if isinstance(schema, dict) else {}
    raise WireError(f"tool_choice names {forced!r}, which is not among the tools")


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


def anthropic_response(model: str, reply: SimReply, tool: str | None = None) -> dict[str, Any]:
    stop_reason = "max_tokens" if reply.stop_reason == "length" else "end_turn"
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}]
    if tool is not None:
        stop_reason = "tool_use" if stop_reason == "end_turn" else stop_reason
        content = [
            {
                "type": "tool_use",
                "id": f"toolu_sim{next(_ids)}",
                "name": tool,
                "input": _tool_input(reply.text),
            }
        ]
    return {
        "id": f"msg_sim{next(_ids)}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "content": content,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
    }


def _tool_input(text: str) -> dict[str, Any]:
    """A tool call always carries an object; an unusable verdict arrives as one the schema rejects."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


def error_body(flavour: str, kind: str, message: str) -> dict[str, Any]:
    if flavour == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"type": kind, "message": message, "param": None, "code": kind}}
