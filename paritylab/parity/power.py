"""How many paired cases would decide a comparison: a normal-approximation power calculation.

The verdict is decided when the (1 - alpha) CI of the mean delta lies wholly on one side of -margin.
If the true mean delta is `mu` and the per-case deltas have standard deviation `sd`, the CI's near edge
sits at mu -/+ z(1 - alpha/2) * sd / sqrt(n); it clears -margin with probability `power` when

    n = ((z(1 - alpha/2) + z(power)) * sd / |mu + margin|) ** 2

and then, because the verdict uses a t-width (expanded) interval, the same with the normal quantiles
replaced by sqrt(n / (n - 1)) * t(1 - alpha/2, n - 1) and t(power, n - 1), solved by fixed-point
iteration from the normal answer (it converges in a few steps). We plug in the observed mean and SD.
When mu is (nearly) at -margin the required n explodes: the estimate is capped at `cap` and flagged,
because no affordable set would decide it. The default planned power is 0.85 (config `power`), so
that the realised chance of PASS at true parity stays >= 80% (bench/parity_calibration.py).
"""

from __future__ import annotations

import math
from statistics import NormalDist

from paritylab.parity.bootstrap import t_quantile

_Z = NormalDist()


def cases_needed(
    mean: float, sd: float, margin: float, *, alpha: float, power: float, cap: int
) -> tuple[int, bool]:
    """(estimated total paired cases, capped?) for a comparison whose mean/SD are as observed."""
    distance = abs(mean + margin)
    if sd == 0.0:
        return 2, False  # no variation seen: any n decides (min_cases still applies)
    if distance < 1e-9:
        return cap, True
    z = _Z.inv_cdf(1 - alpha / 2) + _Z.inv_cdf(power)
    n = (z * sd / distance) ** 2
    for _ in range(20):
        if n > cap:
            return cap, True
        df = max(n - 1, 2.0)
        width = math.sqrt((df + 1) / df) * t_quantile(1 - alpha / 2, df) + t_quantile(power, df)
        n_next = (width * sd / distance) ** 2
        if abs(n_next - n) < 0.01:
            break
        n = n_next
    n_cases = math.ceil(n)
    return (cap, True) if n_cases > cap else (max(n_cases, 2), False)


def advised_cases(
    sd: float, margin: float, *, alpha: float, power: float, expected_delta: float = 0.0
) -> int:
    """Cases to plan for so that a candidate truly `expected_delta` off the baseline (0 = true parity)
    PASSes with probability `power`, given the per-case delta SD from a pilot run."""
    n, _ = cases_needed(expected_delta, sd, margin, alpha=alpha, power=power, cap=10**9)
    return n
