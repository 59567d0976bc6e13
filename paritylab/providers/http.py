"""The HTTP client handed to the official SDKs.

The SDKs' default pool keeps at most 100 idle connections: above that concurrency, connections would
be closed and reopened on every call. The pool here is sized to the model's concurrency. TCP_NODELAY
is set explicitly because a request or response written in two pieces otherwise waits ~40 ms for the
peer's delayed ACK (measured on sim-serve before its own sockets were fixed: 44 ms per call instead of 2).
"""

from __future__ import annotations

import socket
from types import ModuleType
from typing import Any


def sdk_http_client(sdk: ModuleType, timeout_s: float, concurrency: int) -> Any:
    """An httpx2.AsyncClient built the SDK's way (its DefaultAsyncHttpxClient) with our transport."""
    import httpx2

    transport = httpx2.AsyncHTTPTransport(
        limits=httpx2.Limits(
            max_connections=max(1000, concurrency), max_keepalive_connections=max(100, concurrency)
        ),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )
    return sdk.DefaultAsyncHttpxClient(transport=transport, timeout=timeout_s)
