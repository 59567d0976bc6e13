"""`paritylab sim-serve`: the simulator behind loopback HTTP, speaking OpenAI and Anthropic wire formats.

A bare ASGI app (no framework) under uvicorn: per-request overhead must stay far below the client's,
or the throughput benchmark would measure the server instead of the runner.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from paritylab.providers.base import SIMULATED_HEADER, SIMULATED_LATENCY_HEADER
from paritylab.sim.embeddings import hashed_embedding
from paritylab.sim.faults import FaultPlan, Outcome
from paritylab.sim.model import SimModel
from paritylab.sim.profiles import PROFILES, FaultRates, SimProfile, profile_for_model
from paritylab.sim.text import count_tokens
from paritylab.sim.wire import (
    WireError,
    anthropic_request,
    anthropic_response,
    anthropic_tool,
    error_body,
    openai_request,
    openai_response,
    openai_schema,
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
# A hang guard for the server thread's start (uvicorn's import and bind): seconds on a laptop, but a slow,
# loaded 2-core CI machine took minutes to import such libraries.
STARTUP_TIMEOUT_S = 300.0
_FAULT_STATUS = {"rate_limit": (429, "rate_limit_error"), "server_error": (500, "api_error")}


class SimServer:
    """The ASGI application. `stats` counts requests per route and outcome; `faults` can be scripted.
    `latency_ms`: how long to wait before each answer (default: its simulated latency). The simulated
    latency is sent in a header either way, so a fast server still compares like the in-process sim."""

    def __init__(
        self,
        *,
        latency_ms: float | None = None,
        faults: FaultRates | None = None,
        seed: int = 0,
        hang_s: float = 30.0,
        retry_after_s: float | None = None,
        require_key: str | None = None,
        judge_garbage: float | None = None,
    ) -> None:
        self.latency_ms = latency_ms
        self.judge_garbage = judge_garbage
        self.retry_after_s = retry_after_s
        self.require_key = require_key
        self.faults = FaultPlan(faults, seed)
        self.hang_s = hang_s
        self.stats: Counter[str] = Counter()

    def profile(self, model: str) -> SimProfile:
        profile = profile_for_model(model)
        if self.judge_garbage is not None:
            profile = profile.with_garbage(self.judge_garbage)
        return profile

    def reset(self) -> None:
        self.stats.clear()
        self.faults.reset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"].rstrip("/"), scope["method"]
        self.stats["requests"] += 1
        self.stats[path] += 1
        route = {
            ("POST", "/v1/chat/completions"): self._chat_openai,
            ("POST", "/v1/messages"): self._chat_anthropic,
            ("POST", "/v1/embeddings"): self._embeddings,
            ("GET", "/v1/models"): self._models,
            ("GET", "/_paritylab/stats"): self._stats,
            ("POST", "/_paritylab/reset"): self._reset,
        }.get((method, path))
        if route is None:
            await _reply(send, 404, error_body("openai", "not_found_error", f"no route {method} {path}"))
            return
        if self.require_key and path.startswith("/v1/") and not _has_key(scope, self.require_key):
            self.stats["outcome:unauthorized"] += 1
            flavour = "anthropic" if path == "/v1/messages" else "openai"
            await _reply(send, 401, error_body(flavour, "authentication_error", "sim: invalid API key"))
            return
        try:
            body = json.loads(await _read_body(receive) or b"{}")
            await route(body, send)
        except (WireError, json.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
            flavour = "anthropic" if path == "/v1/messages" else "openai"
            await _reply(send, 400, error_body(flavour, "invalid_request_error", str(exc)))

    async def _chat_openai(self, body: dict[str, Any], send: Send) -> None:
        await self._chat(body, send, "openai")

    async def _chat_anthropic(self, body: dict[str, Any], send: Send) -> None:
        await self._chat(body, send, "anthropic")

    async def _chat(self, body: dict[str, Any], send: Send, flavour: str) -> None:
        model = str(body.get("model") or "")
        request = openai_request(body) if flavour == "openai" else anthropic_request(body)
        profile = self.profile(model)
        sim = SimModel(profile)
        outcome = self.faults.decide(sim.request_key(request), profile.faults)
        self.stats[f"outcome:{outcome}"] += 1
        if outcome != "ok":
            retry_after = (
                self.retry_after_s
                if self.retry_after_s is not None
                else (self.faults.rates or profile.faults).retry_after_s
            )
            await self._fault(send, outcome, flavour, retry_after)
            return
        # Structured output (ragas via instructor): a json_schema response format or a forced tool call.
        tool = anthropic_tool(body) if flavour == "anthropic" else None
        schema = tool[1] if tool else (openai_schema(body) if flavour == "openai" else None)
        reply = sim.respond(request, schema)
        await asyncio.sleep((reply.latency_ms if self.latency_ms is None else self.latency_ms) / 1000)
        # The simulated latency travels in a header and is what the SDK adapters report for a simulated
        # answer, as the in-process sim does: measured over loopback it would be this machine's load.
        latency = [(SIMULATED_LATENCY_HEADER.encode(), f"{reply.latency_ms:.3f}".encode())]
        if flavour == "openai":
            await _reply(send, 200, openai_response(model, reply), latency)
        else:
            await _reply(send, 200, anthropic_response(model, reply, tool[0] if tool else None), latency)

    async def _fault(self, send: Send, outcome: Outcome, flavour: str, retry_after_s: float) -> None:
        if outcome == "timeout":
            await asyncio.sleep(self.hang_s)  # the client gives up long before this
            await _reply(send, 504, error_body(flavour, "timeout_error", "sim: gateway timeout"))
        elif outcome == "malformed":
            await _send_raw(send, 200, b'{"id": "broken", "choices": [{"index": 0, "message": {"con', [])
        else:
            status, kind = _FAULT_STATUS[outcome]
            headers = []
            if outcome == "rate_limit":
                headers = [
                    (b"retry-after", str(math.ceil(retry_after_s)).encode()),
                    (b"retry-after-ms", str(int(retry_after_s * 1000)).encode()),
                ]
            await _reply(send, status, error_body(flavour, kind, f"sim: injected {outcome}"), headers)

    async def _embeddings(self, body: dict[str, Any], send: Send) -> None:
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise WireError("'input' must be a string or a list of strings")
        data = [
            {"object": "embedding", "index": i, "embedding": hashed_embedding(t)} for i, t in enumerate(texts)
        ]
        tokens = sum(count_tokens(t) for t in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        await _reply(
            send, 200, {"object": "list", "model": body.get("model", ""), "data": data, "usage": usage}
        )

    async def _models(self, body: dict[str, Any], send: Send) -> None:
        data = [
            {"id": f"sim-{name}", "object": "model", "created": 0, "owned_by": "paritylab"}
            for name in PROFILES
        ]
        await _reply(send, 200, {"object": "list", "data": data})

    async def _stats(self, body: dict[str, Any], send: Send) -> None:
        await _reply(send, 200, dict(self.stats))

    async def _reset(self, body: dict[str, Any], send: Send) -> None:
        self.reset()
        await _reply(send, 200, {"ok": True})


def _has_key(scope: Scope, key: str) -> bool:
    headers = dict(scope.get("headers") or [])
    presented = headers.get(b"x-api-key", b"").decode() or headers.get(b"authorization", b"").decode()
    return presented in (key, f"Bearer {key}")


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _reply(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await _send_raw(send, status, json.dumps(body).encode(), headers or [])


async def _send_raw(send: Send, status: int, payload: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    base = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (SIMULATED_HEADER.encode(), b"1"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": base + headers})
    await send({"type": "http.response.body", "body": payload})


@dataclass
class RunningServer:
    """A sim server on a loopback port, serving from a background thread."""

    app: SimServer
    host: str
    port: int
    _server: Any
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _uvicorn_server(app: SimServer) -> Any:
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        backlog=2048,
        limit_concurrency=None,
    )
    return uvicorn.Server(config)


def bind_loopback(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on accepted sockets that say they are TCP,
    # and without it the response body waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def start_in_thread(app: SimServer, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve `app` on a free (or given) loopback port from a daemon thread; returns once it listens."""
    sock = bind_loopback(host, port)
    server = _uvicorn_server(app)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("sim server did not start: its thread ended (its error is printed above)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"sim server did not start within {STARTUP_TIMEOUT_S:.0f} s")
        thread.join(0.01)
    return RunningServer(app, host, sock.getsockname()[1], server, thread)


def serve_forever(app: SimServer, host: str, port: int, on_ready: Callable[[int], None]) -> None:
    """Serve in the foreground until interrupted (the CLI's sim-serve)."""
    sock = bind_loopback(host, port)
    on_ready(sock.getsockname()[1])
    asyncio.run(_uvicorn_server(app).serve(sockets=[sock]))
