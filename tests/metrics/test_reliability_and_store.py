"""Idempotent score/pairwise writes, agreement statistics, `paritylab judge calibrate / reliability`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from metric_fixtures import items
from scipy import stats
from typer.testing import CliRunner

from paritylab.cli import app
from paritylab.errors import JudgeError
from paritylab.metrics.base import Score
from paritylab.metrics.reliability import calibrate, cohen_kappa, judge_reliability, spearman
from paritylab.metrics.store import write_scores
from paritylab.store import Store, open_store


def test_write_scores_is_idempotent_and_keeps_failures(store: Store) -> None:
    batch = items()
    scores = [
        Score("rubric", 1.0, "5", "fine", judge="j", simulated=True),
        Score.failed("rubric", "unusable judge output after one re-ask: no JSON", judge="j", simulated=True),
        Score("rubric", 0.0, "1", "declines", judge="j", simulated=True),
        Score.skipped("rubric", "item has no context"),
    ]
    assert write_scores(store, "r1", "cand", batch, scores) == 4
    assert write_scores(store, "r1", "cand", batch, scores) == 4
    rows = store.rows("SELECT case_id, value, status, error, simulated FROM scores ORDER BY case_id")
    assert len(rows) == 4
    failed = next(r for r in rows if r["status"] == "judge_error")
    assert failed["value"] is None and "re-ask" in failed["error"]


def test_write_scores_rejects_mismatched_lengths(store: Store) -> None:
    with pytest.raises(ValueError, match="pair up"):
        write_scores(store, "r1", "cand", items(), [Score("m", 1.0)])
    assert store.rows("SELECT count(*) AS n FROM scores") == [{"n": 0}]


def test_failure_rate_excludes_skipped_and_is_none_when_nothing_was_judged(store: Store) -> None:
    batch = items()[:2]
    write_scores(store, "r1", "cand", batch, [Score.skipped("grounded", "no context")] * 2)
    report = judge_reliability(store, "r1")
    assert report["metrics"][0]["failure_rate"] is None and report["judge_failure_rate"] is None
    assert report["swap_consistency"] is None


def test_kappa_and_spearman_match_reference_values() -> None:
    rng = random.Random(7)
    a = [rng.choice("xyz") for _ in range(200)]
    b = [x if rng.random() < 0.7 else rng.choice("xyz") for x in a]
    # By hand: observed 0.6, chance 0.6*0.6 + 0.4*0.4 = 0.52 -> (0.6 - 0.52) / 0.48 = 1/6
    assert cohen_kappa(["y", "y", "n", "n", "y"] * 2, ["y", "y", "n", "y", "n"] * 2) == pytest.approx(
        1 / 6, abs=1e-6
    )
    assert cohen_kappa(["y"] * 4, ["y"] * 4) is None  # chance agreement 1: undefined, not NaN
    assert 0.4 < (cohen_kappa(a, b) or 0) < 0.8
    h = [rng.randint(1, 5) for _ in range(100)]
    j = [v + rng.gauss(0, 1) for v in h]
    assert spearman(h, j) == pytest.approx(stats.spearmanr(h, j).statistic, abs=1e-6)
    assert spearman([1, 1, 1], [1, 2, 3]) is None and spearman([1], [2]) is None


def seed_labels(store: Store) -> None:
    batch = items()
    judged = [
        Score("rubric", v, str(1 + round(v * 4)), judge="j", simulated=True) for v in (1.0, 0.75, 0.0, 0.5)
    ]
    write_scores(store, "r1", "cand", batch, judged)
    human = [("c-good", "5", 5.0), ("c-halluc", "3", 3.0), ("c-refusal", "1", 1.0), ("c-nocontext", "3", 4.0)]
    for case, label, score in human:
        store.execute(
            "INSERT INTO human_labels VALUES (?, ?, 'cand', 'rubric', ?, ?, 'ann', 'review.csv', now())",
            [f"l-{case}", case, label, score],
        )


def test_calibrate_against_human_labels(store: Store) -> None:
    seed_labels(store)
    result = calibrate(store, "rubric")
    assert result["run_id"] == "r1" and result["n_labels"] == 4 and result["n_scores"] == 4
    assert result["label_agreement"] == 0.75
    assert result["kappa"] == pytest.approx(cohen_kappa(["5", "3", "1", "3"], ["5", "4", "1", "3"]))
    assert result["spearman"] == pytest.approx(stats.spearmanr([5, 3, 1, 4], [1.0, 0.75, 0.0, 0.5]).statistic)
    assert result["simulated"] is True


def test_calibrate_without_labels_says_what_to_do(store: Store) -> None:
    with pytest.raises(JudgeError, match="no scores"):
        calibrate(store, "rubric")
    write_scores(store, "r1", "cand", items()[:1], [Score("rubric", 1.0, "5")])
    with pytest.raises(JudgeError, match="no human labels") as err:
        calibrate(store, "rubric")
    assert err.value.hint


def test_cli_calibrate_and_reliability(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path) as db:
        seed_labels(db)
    env = {"PARITYLAB_STORE": str(path), "PARITYLAB_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    runner = CliRunner()
    out = runner.invoke(app, ["judge", "calibrate", "--metric", "rubric"], env=env)
    assert out.exit_code == 0, out.output
    assert "kappa" in out.output and "SIMULATED" in out.output
    out = runner.invoke(app, ["judge", "reliability", "--run-id", "r1"], env=env)
    assert out.exit_code == 0, out.output
    assert "overall judge failure rate: 0.0%" in out.output and "swap consistency: n/a" in out.output
