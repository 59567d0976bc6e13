"""Calibration of the parity verdict on simulated paired scores with a known true delta.

For each CI method (expanded percentile = the default, BCa) and score shape (continuous like token F1,
binary like a judge's pass/fail, skewed: mostly ties and a long tail of losses, delta skewness -1.3) it
simulates >= 1,000 independent comparisons per scenario, each with fresh data and 2,000 resamples:
  - truly worse by exactly the margin at the advised N: a PASS is a false PASS   (target <= 5%)
  - truly equal (delta = 0) at the advised N:          the PASS rate            (target >= 80%)
  - truly better by the margin at the advised N:       the PASS rate            (for reference)
  - truly worse by the margin at the minimum of 30 cases: a stress row, reported but not a target
    (strongly skewed deltas under-cover there with every interval, the t-interval included)
The advised N is paritylab.parity.power's calculation (planned power 0.85, alpha 0.05 two-sided,
expanded t-width) from the per-case delta SD of a 1M-case pilot.

    python bench/parity_calibration.py [--trials 1000] [--margin 0.05] [--methods percentile bca]
"""

from __future__ import annotations

import argparse
import time

from _common import peak_rss_mb

from paritylab.parity.calibration import ScoreModel, advised_n, verdict_rates
from paritylab.parity.compare import StatSettings

SHAPES = {
    "continuous": ScoreModel("continuous", base_mean=0.7, concentration=4.0, p_same=0.5),
    "binary": ScoreModel("binary", base_mean=0.8, p_same=0.5),
    "skewed": ScoreModel("continuous", base_mean=0.8, concentration=2.0, p_same=0.7),
}
FALSE_PASS_TARGET, PARITY_PASS_TARGET = 0.05, 0.80


def run(method: str, shape: str, trials: int, margin: float) -> list[tuple[str, ...]]:
    stats = StatSettings(resamples=2000, ci_method=method)  # type: ignore[arg-type]
    model = SHAPES[shape]
    n_adv = advised_n(model, margin, stats)
    rows = []
    for label, delta, n in [
        ("worse by margin", -margin, n_adv),
        ("equal", 0.0, n_adv),
        ("better by margin", margin, n_adv),
        ("worse by margin (stress)", -margin, stats.min_cases),
    ]:
        rates = verdict_rates(model, delta, n, trials=trials, margin=margin, stats=stats, seed=11)
        if delta < 0:
            check = _check(rates["PASS"], FALSE_PASS_TARGET, below=True, what="false PASS")
            check = check.replace("MISSED", "above target (not a target row)") if "stress" in label else check
        elif delta == 0:
            check = _check(rates["PASS"], PARITY_PASS_TARGET, below=False, what="PASS")
        else:
            check = ""
        rows.append(
            (
                method,
                shape,
                label,
                f"{delta:+.2f}",
                str(n),
                *(f"{rates[v]:6.1%}" for v in ("PASS", "FAIL", "INCONCLUSIVE")),
                check,
            )
        )
    return rows


def _check(rate: float, target: float, *, below: bool, what: str) -> str:
    ok = rate <= target if below else rate >= target
    ratio = rate / target
    sign = "<=" if below else ">="
    return f"{what} {rate:.1%} (target {sign} {target:.0%}, ratio {ratio:.2f}) {'OK' if ok else 'MISSED'}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--methods", nargs="+", default=["percentile", "bca"])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES))
    args = parser.parse_args()
    started = time.perf_counter()
    head = ("method", "shape", "true effect", "delta", "n", "PASS", "FAIL", "INCONCL.", "check")
    print(" | ".join(head))
    missed: dict[str, int] = {}
    for method in args.methods:
        for shape in args.shapes:
            for row in run(method, shape, args.trials, args.margin):
                print(" | ".join(row), flush=True)
                missed[method] = missed.get(method, 0) + row[-1].endswith("MISSED")
    elapsed = time.perf_counter() - started
    print(
        f"{args.trials} trials per row, 2000 resamples each; {elapsed:.0f} s; peak RSS {peak_rss_mb():.0f} MB"
    )
    default = StatSettings().ci_method
    for method, count in missed.items():
        verdict = "all targets met at the advised N" if not count else f"{count} target(s) missed"
        print(f"{method}{' (the default)' if method == default else ''}: {verdict}")


if __name__ == "__main__":
    main()
