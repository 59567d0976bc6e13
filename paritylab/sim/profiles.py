"""Simulated model profiles: answer quality, latency distribution, prices and fault rates."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from paritylab.errors import ConfigError


@dataclass(frozen=True)
class FaultRates:
    """Per-attempt probabilities of each failure; the rest succeed."""

    rate_limit: float = 0.0  # 429 with Retry-After
    server_error: float = 0.0  # 500
    timeout: float = 0.0  # the server holds the request past any sane client timeout
    malformed: float = 0.0  # 200 with a truncated JSON body
    retry_after_s: float = 1.0

    def total(self) -> float:
        return self.rate_limit + self.server_error + self.timeout + self.malformed


@dataclass(frozen=True)
class SimProfile:
    name: str
    on_target: float  # chance the answer is built from the best-matching context sentences
    hallucination: float  # chance an unsupported claim is appended
    refusal: float  # chance of a refusal although the context answers the question
    latency_median_ms: float
    latency_p95_ms: float
    price_input_per_mtok: float
    price_output_per_mtok: float
    faults: FaultRates = field(default_factory=FaultRates)
    garbage: float = 0.0  # judge requests only: chance the verdict is unusable text (sim/judge.py)

    def with_latency(self, median_ms: float, p95_ms: float | None = None) -> SimProfile:
        return replace(self, latency_median_ms=median_ms, latency_p95_ms=p95_ms or median_ms)

    def with_faults(self, faults: FaultRates) -> SimProfile:
        return replace(self, faults=faults)

    def with_garbage(self, rate: float) -> SimProfile:
        return replace(self, garbage=rate)


PROFILES: dict[str, SimProfile] = {
    p.name: p
    for p in [
        SimProfile("good", 0.95, 0.02, 0.01, 350, 900, 0.15, 0.60),
        # Same behaviour as "good" at a lower price: the "can we switch?" candidate that should PASS.
        SimProfile("equivalent", 0.95, 0.02, 0.01, 300, 800, 0.10, 0.40),
        SimProfile("slightly-worse", 0.88, 0.05, 0.02, 300, 800, 0.08, 0.30),
        SimProfile("weak", 0.30, 0.35, 0.05, 200, 600, 0.05, 0.20),
        SimProfile("flaky", 0.95, 0.02, 0.01, 350, 900, 0.15, 0.60, FaultRates(0.20, 0.05, 0.02, 0.0, 0.2)),
        SimProfile("judge", 0.99, 0.0, 0.0, 150, 400, 0.15, 0.60),
        # A judge whose verdicts are unusable 30% of the time: exercises re-asks and judge_error rows.
        SimProfile("judge-noisy", 0.99, 0.0, 0.0, 150, 400, 0.15, 0.60, garbage=0.30),
    ]
}


def get_profile(name: str | None) -> SimProfile:
    """Look a profile up by name (default "good"); an unknown name lists the known ones."""
    key = name or "good"
    if key not in PROFILES:
        raise ConfigError(f"unknown sim profile '{key}'", hint=f"use one of: {', '.join(sorted(PROFILES))}")
    return PROFILES[key]


def profile_for_model(model: str) -> SimProfile:
    """sim-serve maps a requested model id to a profile: "sim-weak" and "weak" both mean "weak"."""
    return get_profile(model.removeprefix("sim-") if model.removeprefix("sim-") in PROFILES else "good")
