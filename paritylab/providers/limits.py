"""Per-model concurrency and RPM/TPM limits (token buckets refilled continuously)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class TokenBucket:
    """`per_minute` units, refilled continuously; waiters are served in arrival order."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.level = self.capacity
        self.stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    async def take(self, amount: float) -> None:
        amount = min(amount, self.capacity)  # a single huge request must not wait forever
        async with self._lock:
            self._refill()
            while self.level < amount:
                await asyncio.sleep((amount - self.level) / self.rate)
                self._refill()
            self.level -= amount

    def give_back(self, amount: float) -> None:
        """Return an over-estimate once the real token count is known."""
        self._refill()
        self.level = min(self.capacity, self.level + max(0.0, amount))


class ModelLimiter:
    """Concurrency slots plus optional request and token budgets for one model endpoint."""

    def __init__(self, concurrency: int, rpm: int | None, tpm: int | None) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self.requests = TokenBucket(rpm) if rpm else None
        self.tokens = TokenBucket(tpm) if tpm else None

    @asynccontextmanager
    async def slot(self, estimated_tokens: int) -> AsyncIterator[None]:
        if self.requests:
            await self.requests.take(1)
        if self.tokens:
            await self.tokens.take(estimated_tokens)
        async with self._slots:
            yield

    def settle_tokens(self, estimated: int, actual: int | None) -> None:
        if self.tokens and actual is not None and actual < estimated:
            self.tokens.give_back(estimated - actual)
