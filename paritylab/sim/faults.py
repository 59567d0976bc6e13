"""Deterministic fault injection: the n-th time a request is seen decides its fate, so reruns replay."""

from __future__ import annotations

import random
from collections import Counter, deque
from typing import Literal

from paritylab.sim.profiles import FaultRates

Outcome = Literal["ok", "rate_limit", "server_error", "timeout", "malformed"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "rate_limit", "server_error", "timeout", "malformed")


class FaultPlan:
    """Decides each attempt's outcome from (request hash, how many times it was seen before).

    A scripted queue (for tests) takes precedence over the random rates.
    """

    def __init__(self, rates: FaultRates | None = None, seed: int = 0) -> None:
        self.rates = rates
        self.seed = seed
        self._seen: Counter[str] = Counter()
        self._script: deque[Outcome] = deque()

    def script(self, *outcomes: Outcome) -> None:
        """Force the next attempts' outcomes, in order, whatever the request."""
        self._script.extend(outcomes)

    def reset(self) -> None:
        self._seen.clear()
        self._script.clear()

    def decide(self, request_key: str, rates: FaultRates) -> Outcome:
        occurrence = self._seen[request_key]
        self._seen[request_key] += 1
        if self._script:
            return self._script.popleft()
        active = self.rates or rates
        u = random.Random(f"{self.seed}:{request_key}:{occurrence}").random()
        for outcome, p in (
            ("rate_limit", active.rate_limit),
            ("server_error", active.server_error),
            ("timeout", active.timeout),
            ("malformed", active.malformed),
        ):
            if u < p:
                return outcome  # type: ignore[return-value]
            u -= p
        return "ok"
