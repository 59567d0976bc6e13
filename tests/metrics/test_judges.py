"""Rubric and pairwise judges through the Runner: ledgered, cached, re-asked once, failures as values."""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace

import pytest
from metric_fixtures import items, make_settings, sdk_model, set_sim_key

from paritylab.config import Settings
from paritylab.errors import ConfigError
from paritylab.metrics.base import EvalItem, MetricContext, Score
from paritylab.metrics.judges import PairItem, PairwiseJudge, RubricJudge, pairwise_scores
from paritylab.metrics.registry import build_metric
from paritylab.metrics.reliability import judge_reliability
from paritylab.metrics.store import write_pairwise, write_scores
from paritylab.providers.runner import Runner
from paritylab.sim.server import RunningServer
from paritylab.store import Store
from paritylab.store.ledger import Ledger


def score(
    settings: Settings, metric_items: list[EvalItem], store: Store | None = None, run_id: str = "r1"
) -> list[Score]:
    async def go() -> list[Score]:
        ledger = Ledger(store) if store else None
        async with Runner(settings, ledger=ledger, run_id=run_id) as runner:
            ctx = MetricContext(settings, runner, run_id, "cand-1")
            return await build_metric("rubric", settings).score(metric_items, ctx)

    return asyncio.run(go())


def test_rubric_scores_from_evidence_and_labels_simulated(store: Store) -> None:
    out = score(make_settings(), items(), store)
    good, halluc, refusal, nocontext = out
    assert all(s.status == "ok" and s.judge == "sim-judge" and s.simulated for s in out)
    assert good.value == 1.0 and good.label == "5"
    assert halluc.value is not None and halluc.value < good.value  # the unsupported claim costs
    assert refusal.value == 0.0 and "declines" in refusal.rationale
    assert nocontext.value is not None and "SIMULATED" in nocontext.rationale
    calls = store.rows("SELECT purpose, candidate_id, item_id, status FROM calls ORDER BY item_id")
    assert {c["purpose"] for c in calls} == {"judge"} and {c["candidate_id"] for c in calls} == {"cand-1"}
    assert sorted(c["item_id"] for c in calls) == sorted(i.item_id for i in items())


def test_rerun_is_served_from_the_cache(store: Store) -> None:
    first = score(make_settings(), items(), store, "r1")
    second = score(make_settings(), items(), store, "r2")
    assert first == second
    statuses = store.rows("SELECT status, count(*) AS n FROM calls WHERE run_id = 'r2' GROUP BY status")
    assert statuses == [{"status": "cache_hit", "n": len(items())}]


def test_garbage_judge_yields_judge_errors_with_reasons_and_no_nan(store: Store) -> None:
    """Acceptance: a judge that returns garbage 30% of the time."""
    base = items()[0]
    many = [replace(base, item_id=f"c{i}", question=f"{base.question} (variant {i})") for i in range(300)]
    settings = make_settings(judge="sim-judge-noisy")
    out = score(settings, many, store)
    errors = [s for s in out if s.status == "judge_error"]
    ok = [s for s in out if s.status == "ok"]
    assert len(errors) + len(ok) == len(many)
    # 30% unusable first replies, re-asked once: about 9% end as judge_error.
    assert 0.04 < len(errors) / len(many) < 0.15
    assert all(s.value is None and s.error and "after one re-ask" in s.error for s in errors)
    assert all(s.value is not None and not math.isnan(s.value) for s in ok)
    reasks = store.rows("SELECT count(*) AS n FROM calls WHERE purpose = 'judge'")[0]["n"] - len(many)
    assert 0.2 * len(many) < reasks < 0.4 * len(many)
    write_scores(store, "r1", "cand-1", many, out)
    report = judge_reliability(store, "r1")
    [rubric] = report["metrics"]
    assert rubric["judge_errors"] == len(errors) and rubric["failure_rate"] == round(
        len(errors) / len(many), 6
    )
    assert rubric["errors"] and report["judge_failure_rate"] == rubric["failure_rate"]
    nan_rows = store.rows("SELECT count(*) AS n FROM scores WHERE isnan(value)")
    assert nan_rows == [{"n": 0}]


def test_judge_call_failures_are_judge_errors_not_reasks(
    sim: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_sim_key(monkeypatch)
    settings = make_settings(judge="sdk-judge", sdk_judge={**sdk_model(sim, "openai"), "max_retries": 0})
    sim.app.faults.script("server_error")
    out = score(settings, items()[:2])
    failed = [s for s in out if s.status == "judge_error"]
    assert len(failed) == 1 and failed[0].error and "transient" in failed[0].error
    assert sum(s.status == "ok" for s in out) == 1


@pytest.mark.parametrize("flavour", ["openai", "anthropic"])
def test_rubric_through_the_real_sdks(
    sim: RunningServer, monkeypatch: pytest.MonkeyPatch, flavour: str
) -> None:
    set_sim_key(monkeypatch)
    settings = make_settings(judge="sdk-judge", sdk_judge=sdk_model(sim, flavour))
    out = score(settings, items())
    assert [s.label for s in out] == [s.label for s in score(make_settings(), items())]
    assert all(s.status == "ok" and s.simulated for s in out)


def test_judge_metrics_need_a_judge_model() -> None:
    settings = Settings.model_validate({"models": {"m": {"provider": "sim", "model": "sim-good"}}})
    with pytest.raises(ConfigError, match="judge"):
        asyncio.run(RubricJudge(settings.metrics.rubric).score(items(), MetricContext(settings)))


def pairs() -> list[PairItem]:
    good, halluc, refusal, _ = items()
    return [
        PairItem(good, good.output, halluc.output),  # baseline better
        PairItem(halluc, halluc.output, good.output),  # candidate better
        PairItem(replace(good, item_id="c-same"), good.output, good.output),  # position bias decides
        PairItem(refusal, refusal.output, "You can cancel an order within 24 hours of purchase."),
    ]


def judge_pairs(settings: Settings, store: Store) -> list:
    async def go() -> list:
        async with Runner(settings, ledger=Ledger(store), run_id="r1") as runner:
            return await PairwiseJudge(settings.metrics.rubric).judge(
                pairs(), MetricContext(settings, runner, "r1", "cand-1")
            )

    return asyncio.run(go())


def test_pairwise_runs_both_orders_and_counts_inconsistent_pairs_as_ties(store: Store) -> None:
    results = judge_pairs(make_settings(), store)
    assert [r.winner for r in results] == ["baseline", "candidate", "tie", "candidate"]
    assert [r.consistent for r in results] == [True, True, False, True]
    assert "inconsistent" in results[2].rationale and all(r.simulated for r in results)
    assert store.rows("SELECT count(*) AS n FROM calls WHERE purpose = 'judge'") == [{"n": 8}]
    assert [s.value for s in pairwise_scores(results)] == [0.0, 1.0, 0.5, 1.0]
    assert write_pairwise(store, "r1", "base-1", "cand-1", results) == 4
    assert write_pairwise(store, "r1", "base-1", "cand-1", results) == 4  # idempotent: replaced
    report = judge_reliability(store, "r1")
    [row] = report["pairwise"]
    assert (row["n"], row["wins"], row["ties"], row["losses"]) == (4, 2, 1, 1)
    assert row["swap_consistency"] == 0.75 and report["swap_consistency"] == 0.75


def test_pairwise_judge_errors_are_recorded(store: Store) -> None:
    results = judge_pairs(make_settings(judge="sim-judge-noisy"), store)
    for r in results:
        assert (r.status == "ok") == (r.winner is not None)
        if r.status == "judge_error":
            assert r.error and r.consistent is None
