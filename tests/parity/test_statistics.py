"""The parity statistics as pure functions: bootstrap CIs, the non-inferiority rule, cases needed,
candidate figures and verdict sentences."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from paritylab.parity import (
    Answer,
    Budgets,
    MetricComparison,
    OpsStats,
    StatSettings,
    compare_metric,
    decide,
    ops_stats,
)
from paritylab.parity.bootstrap import (
    bootstrap_means,
    expanded_alpha,
    paired_ci,
    percentile_ci,
    skew_guarded_levels,
    t_quantile,
)
from paritylab.parity.compare import classify, pairwise_deltas
from paritylab.parity.power import advised_cases, cases_needed

STATS = StatSettings()


def test_bootstrap_is_seeded_and_centred() -> None:
    deltas = np.random.default_rng(1).normal(0.1, 0.2, 200)
    a = paired_ci(deltas, resamples=2000, seed=7, alpha=0.05)
    b = paired_ci(deltas, resamples=2000, seed=7, alpha=0.05)
    assert a == b
    assert a is not None
    low, high = a
    mean, se = deltas.mean(), deltas.std(ddof=1) / math.sqrt(200)
    assert low < mean < high
    # a symmetric sample: both methods agree with the normal interval to within a few percent of it
    for method in ("bca", "percentile"):
        lo, hi = paired_ci(deltas, resamples=4000, seed=7, alpha=0.05, method=method) or (0.0, 0.0)
        assert lo == pytest.approx(mean - 1.96 * se, abs=0.15 * se * 1.96)
        assert hi == pytest.approx(mean + 1.96 * se, abs=0.15 * se * 1.96)


def test_bootstrap_chunks_give_the_requested_number_of_resamples() -> None:
    means = bootstrap_means(np.arange(5000, dtype=np.float64), resamples=2001, seed=0)
    assert means.shape == (2001,)
    assert 2400 < means.mean() < 2600


def test_skewed_deltas_widen_the_side_they_make_too_short() -> None:
    """Mostly ties and a few large losses: the lower end moves out, the upper end stays."""
    deltas = np.array([0.0] * 90 + [-0.8] * 8 + [0.3] * 2)
    low_level, high_level = skew_guarded_levels(deltas, 0.05)
    assert low_level < 0.025 and high_level == pytest.approx(0.975)
    guarded = paired_ci(deltas, resamples=4000, seed=3, alpha=0.05)
    boot = bootstrap_means(deltas, 4000, 3)
    plain = percentile_ci(boot, expanded_alpha(0.05, len(deltas)))
    assert guarded and guarded[0] < plain[0] and guarded[1] == pytest.approx(plain[1])
    mirrored = skew_guarded_levels(-deltas, 0.05)
    assert mirrored[0] == pytest.approx(0.025) and mirrored[1] > 0.975
    bca = paired_ci(deltas, resamples=4000, seed=3, alpha=0.05, method="bca")
    assert bca and bca[0] < float(deltas.mean()) < bca[1]


def test_t_quantile_and_expansion() -> None:
    assert t_quantile(0.975, 29) == pytest.approx(2.04523, abs=1e-3)
    assert t_quantile(0.975, 9) == pytest.approx(2.26216, abs=1e-3)
    assert t_quantile(0.8, 29) == pytest.approx(0.85377, abs=1e-3)
    # at 30 cases the 95% interval is computed at the 96.25% level; at 2000 cases barely changed
    assert expanded_alpha(0.05, 30) == pytest.approx(0.0375, abs=5e-4)
    assert expanded_alpha(0.05, 2000) == pytest.approx(0.05, abs=2e-4)


def test_degenerate_inputs() -> None:
    assert paired_ci(np.array([]), resamples=2000, seed=0, alpha=0.05) is None
    assert paired_ci(np.array([0.2, 0.2, 0.2]), resamples=2000, seed=0, alpha=0.05) == pytest.approx(
        (0.2, 0.2)
    )


@pytest.mark.parametrize(
    ("ci", "n", "verdict"),
    [
        ((-0.03, 0.02), 100, "PASS"),
        ((-0.05, 0.02), 100, "PASS"),  # delta >= -margin is parity
        ((-0.08, -0.06), 100, "FAIL"),
        ((-0.08, 0.01), 100, "INCONCLUSIVE"),
        ((-0.01, 0.01), 10, "INCONCLUSIVE"),  # too few cases to decide, either way
        ((-0.9, -0.8), 10, "INCONCLUSIVE"),
        (None, 0, "INCONCLUSIVE"),
    ],
)
def test_non_inferiority_rule(ci: tuple[float, float] | None, n: int, verdict: str) -> None:
    assert classify(ci, 0.05, n, min_cases=30) == verdict


def test_cases_needed_formula_and_cap() -> None:
    # normal formula: ((1.95996 + 0.84162) * 0.2 / (0.0 + 0.05)) ** 2 = 125.6; with the t-width of the
    # expanded interval (n - 1 = 128 degrees of freedom) it is 128.1 -> 129
    assert cases_needed(0.0, 0.2, 0.05, alpha=0.05, power=0.8, cap=10_000) == (129, False)
    assert advised_cases(0.2, 0.05, alpha=0.05, power=0.8) == 129
    # twice as far from the margin -> about a quarter of the cases (t-widths grow at small n: 32 -> 35)
    assert cases_needed(0.05, 0.2, 0.05, alpha=0.05, power=0.8, cap=10_000) == (35, False)
    assert cases_needed(-0.05, 0.2, 0.05, alpha=0.05, power=0.8, cap=10_000) == (10_000, True)
    assert cases_needed(-0.0501, 0.2, 0.05, alpha=0.05, power=0.8, cap=10_000) == (10_000, True)
    assert cases_needed(0.0, 0.0, 0.05, alpha=0.05, power=0.8, cap=10_000) == (2, False)


def test_compare_metric_counts_and_estimates() -> None:
    rng = np.random.default_rng(5)
    base = rng.uniform(0.4, 1.0, 40)
    cand = base + rng.normal(-0.04, 0.15, 40)
    c = compare_metric("token_f1", base.tolist(), cand.tolist(), margin=0.05, gated=True, stats=STATS)
    assert c.n == 40 and c.wins + c.ties + c.losses == 40
    assert c.delta == pytest.approx(float((cand - base).mean()))
    assert c.verdict == "INCONCLUSIVE"
    assert c.cases_needed is not None and c.cases_needed > 40
    with pytest.raises(ValueError, match="2 baseline scores but 1"):
        compare_metric("x", [0.1, 0.2], [0.3], margin=0.05, gated=True, stats=STATS)


def test_pairwise_verdicts_become_paired_scores() -> None:
    base, cand, counts = pairwise_deltas(["candidate", "tie", "baseline", "candidate"])
    assert counts == (2, 1, 1)
    assert [c - b for b, c in zip(base, cand, strict=True)] == [1.0, 0.0, -1.0, 1.0]


def _ops(
    name: str,
    *,
    n_ok: int = 100,
    n: int = 100,
    cost: float = 1.0,
    p95: float = 900.0,
    judge: float | None = None,
    swap: float | None = None,
    base: bool = False,
) -> OpsStats:
    answers = [Answer(i < n_ok, cost / n if i < n_ok else 0.0, p95 if i < n_ok else None) for i in range(n)]
    return ops_stats(
        name, name, "m", answers, is_baseline=base, judge_failure_rate=judge, swap_consistency=swap
    )


def _cmp(delta: float, low: float, high: float, n: int = 200) -> MetricComparison:
    rng = np.random.default_rng(0)
    base = rng.uniform(0.3, 0.7, n)
    # construct scores with the requested mean delta; CI bounds are then overwritten for the rule test
    c = compare_metric(
        "token_f1", base.tolist(), (base + delta).tolist(), margin=0.05, gated=True, stats=STATS
    )
    verdict = classify((low, high), 0.05, n, 30)
    needed = 400 if verdict == "INCONCLUSIVE" else None
    return replace(c, ci_low=low, ci_high=high, verdict=verdict, cases_needed=needed)


def test_verdicts_and_reasons() -> None:
    base = _ops("baseline", base=True)
    budgets = Budgets()
    worse = decide(base, _ops("cheap-weak", cost=0.5), [_cmp(-0.21, -0.27, -0.15)], budgets, STATS)
    assert worse.verdict == "FAIL"
    assert (
        "cheap-weak FAILS against baseline: worse on token_f1: -0.210 (95% CI -0.270 to -0.150"
        in worse.reason
    )
    assert "beyond the -0.050 margin" in worse.reason

    fine = decide(base, _ops("eq", cost=0.7), [_cmp(-0.01, -0.03, 0.01)], budgets, STATS)
    assert fine.verdict == "PASS" and "cost per success 0.70x" in fine.reason

    pricey = decide(base, _ops("pricey", cost=1.5), [_cmp(0.0, -0.02, 0.02)], budgets, STATS)
    assert pricey.verdict == "FAIL" and "1.50x the baseline's (limit 1.10x)" in pricey.reason

    slow = decide(base, _ops("slow", p95=1170.0), [_cmp(0.0, -0.02, 0.02)], budgets, STATS)
    assert slow.verdict == "FAIL" and "p95 latency is 1.30x the baseline's (limit 1.25x)" in slow.reason
    capped = decide(
        base, _ops("slow"), [_cmp(0.0, -0.02, 0.02)], replace(budgets, max_p95_latency_ms=800), STATS
    )
    assert capped.verdict == "FAIL" and "p95 latency is 900 ms (limit 800 ms)" in capped.reason

    flaky = decide(base, _ops("flaky", n_ok=95), [_cmp(0.0, -0.02, 0.02)], budgets, STATS)
    assert flaky.verdict == "FAIL" and "error rate is 5.0% vs 0.0%" in flaky.reason

    close = decide(base, _ops("near"), [_cmp(-0.03, -0.07, 0.01)], budgets, STATS)
    assert close.verdict == "INCONCLUSIVE" and close.cases_needed == 400
    assert "straddles the -0.050 margin; about 400 cases would decide it" in close.reason

    shaky = decide(base, _ops("j", judge=0.2, swap=0.7), [_cmp(0.0, -0.02, 0.02)], budgets, STATS)
    assert shaky.verdict == "INCONCLUSIVE"
    assert "judge failed on 20%" in shaky.reason and "contradicted itself on 30%" in shaky.reason


def test_ops_stats_figures() -> None:
    answers = [Answer(True, 0.01, float(ms)) for ms in range(1, 101)] + [Answer(False, 0.0, None)] * 4
    ops = ops_stats("id", "c", "m", answers, is_baseline=False)
    assert ops.n_cases == 104 and ops.n_ok == 100
    assert ops.error_rate == pytest.approx(4 / 104)
    assert ops.cost_per_success_usd == pytest.approx(0.01)
    assert ops.latency_p50_ms == pytest.approx(50.5)
    assert ops.latency_p95_ms == pytest.approx(95.05)
