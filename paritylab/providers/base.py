"""The Provider interface and the request/response values every adapter translates to and from."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Literal, Protocol

from paritylab.hashing import content_hash

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class ChatRequest:
    """A provider-neutral chat request. The model id is supplied by the model config, not here."""

    messages: tuple[Message, ...]
    system: str | None = None
    temperature: float | None = None
    max_tokens: int = 512
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] | None = None
    response_format: Literal["text", "json"] = "text"

    @classmethod
    def user(cls, text: str, **kwargs: object) -> ChatRequest:
        return cls(messages=(Message("user", text),), **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    stop_reason: str
    model: str
    simulated: bool = False


# Response headers of paritylab's own loopback servers (sim-serve): the answer is SIMULATED, and the
# latency the simulated model had, which the SDK adapters report for it instead of the loopback's.
SIMULATED_HEADER = "x-paritylab-simulated"
SIMULATED_LATENCY_HEADER = "x-paritylab-simulated-latency-ms"


def request_hash(provider: str, model: str, request: ChatRequest) -> str:
    """Cache key: everything that determines the answer (the endpoint URL and key do not)."""
    fields = {f: getattr(request, f) for f in _REQUEST_FIELDS}  # not asdict(): it deep-copies, 10x slower
    fields["messages"] = [[m.role, m.content] for m in request.messages]
    return content_hash({"provider": provider, "model": model, "request": fields})


_REQUEST_FIELDS = [f.name for f in dataclass_fields(ChatRequest)]


class Provider(Protocol):
    """Adapters only translate requests and classify errors: no retries, no limits, no caching."""

    kind: str

    async def generate(self, model: str, request: ChatRequest, timeout_s: float) -> Completion:
        """Return a Completion or raise a paritylab.errors.ProviderError subclass."""
        ...

    async def aclose(self) -> None: ...
