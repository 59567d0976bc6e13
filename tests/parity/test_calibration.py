"""A fast version of bench/parity_calibration.py: the verdict rule is calibrated on simulated paired
scores with a known true delta (seeded, so the figures are reproducible)."""

from __future__ import annotations

import numpy as np
import pytest

from paritylab.parity.calibration import ScoreModel, advised_n, verdict_rates
from paritylab.parity.compare import StatSettings

STATS = StatSettings()  # the defaults: expanded percentile interval, 2,000 resamples, power 0.85


@pytest.mark.parametrize(
    ("model", "margin"), [(ScoreModel("continuous"), 0.05), (ScoreModel("binary", base_mean=0.7), 0.10)]
)
def test_false_pass_and_power_at_the_advised_n(model: ScoreModel, margin: float) -> None:
    n = advised_n(model, margin, STATS)
    worse = verdict_rates(model, -margin, n, trials=400, margin=margin, stats=STATS, seed=3)
    equal = verdict_rates(model, 0.0, n, trials=400, margin=margin, stats=STATS, seed=4)
    better = verdict_rates(model, margin, n, trials=100, margin=margin, stats=STATS, seed=5)
    assert worse["PASS"] <= 0.05
    assert equal["PASS"] >= 0.80 and equal["FAIL"] == 0.0
    assert better["PASS"] >= 0.95


def test_simulated_scores_have_the_requested_true_delta() -> None:
    for model in (ScoreModel("continuous"), ScoreModel("binary", base_mean=0.8)):
        base, cand = model.draw(np.random.default_rng(0), 400_000, -0.05)
        assert float(np.mean(cand - base)) == pytest.approx(-0.05, abs=0.003)
        assert float(cand.min()) >= 0.0 and float(cand.max()) <= 1.0
    with pytest.raises(ValueError, match="out of reach"):
        ScoreModel("continuous", base_mean=0.95).draw(np.random.default_rng(0), 10, 0.05)
