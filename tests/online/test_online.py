"""Online evals without Prefect: sampling, scoring as logged, idempotent records, daily aggregates and
flags, the miner's query, and clear errors for metrics that cannot run on production logs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from online_helpers import GROUNDED, TWO_THIRDS, UNGROUNDED, LogFactory, online_settings

from paritylab.config import load_settings
from paritylab.errors import ConfigError
from paritylab.metrics.base import EvalItem, Score
from paritylab.online.daily import low_scoring_logs
from paritylab.online.markdown import md_cell, online_markdown
from paritylab.online.run import run_online
from paritylab.online.sample import Chunk, plan_scoring
from paritylab.online.score import ScoredChunk, record_scores
from paritylab.online.stats import difference_interval, is_degraded, mean_interval, seeded_rng
from paritylab.online.window import Window, parse_day
from paritylab.store import open_store

D = date(2026, 11, 10)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "online.duckdb"


@pytest.fixture
def logs(db_path: Path) -> Iterator[LogFactory]:
    with open_store(db_path) as store:
        yield LogFactory(store)


def day(n: int) -> date:
    return date.fromordinal(D.toordinal() + n)


def counts(db_path: Path) -> dict[str, int]:
    with open_store(db_path) as s:
        return {
            t: s.rows(f"SELECT count(*) AS n FROM {t}")[0]["n"]
            for t in ("outputs", "scores", "online_daily", "runs")
        }


def test_logged_answers_are_scored_as_production_and_a_rerun_adds_nothing(
    logs: LogFactory, db_path: Path
) -> None:
    good = logs.add(0, GROUNDED, n=3)
    bad = logs.add(0, UNGROUNDED, n=2, model="m2", prompt_version="v2", cost_usd=0.004, latency_ms=900.0)
    logs.add(0, None, status="error", error="RateLimitError: 429", cost_usd=0.0, latency_ms=120.0)
    settings = online_settings(db_path)
    summary = run_online(settings, end=day(0))
    assert summary.scored_now == 5  # the failed call has no answer to score
    with open_store(db_path) as s:
        outputs = s.rows(
            "SELECT run_id, case_id, candidate_id, candidate, output_text, cost_usd "
            "FROM outputs ORDER BY case_id"
        )
        scores = {
            r["case_id"]: r["value"]
            for r in s.rows("SELECT case_id, value FROM scores WHERE metric = 'grounded'")
        }
    assert {o["candidate_id"] for o in outputs} == {"production"}
    assert {o["run_id"] for o in outputs} == {"online-2026-11-10"}
    assert [o["case_id"] for o in outputs] == sorted(good + bad)
    assert outputs[-1]["candidate"] == "helpdesk/m2/v2" and outputs[-1]["cost_usd"] == 0.004
    assert outputs[0]["output_text"] == GROUNDED  # as logged: nothing regenerated
    assert scores == {**dict.fromkeys(good, 1.0), **dict.fromkeys(bad, 0.0)}
    before = counts(db_path)
    assert before == {"outputs": 5, "scores": 5, "online_daily": 2, "runs": 8}  # 7 trailing days + the day
    again = run_online(settings, end=day(0))
    assert again.scored_now == 0 and counts(db_path) == before


def test_daily_figures_per_app_model_prompt_version(logs: LogFactory, db_path: Path) -> None:
    for i, latency in enumerate([100.0, 200.0, 300.0, 400.0, 1000.0]):
        logs.add(3, GROUNDED if i % 2 else UNGROUNDED, latency_ms=latency, cost_usd=0.002)
    logs.add(3, None, status="error", cost_usd=0.0, latency_ms=30000.0)
    logs.add(3, GROUNDED, model="m2")
    summary = run_online(online_settings(db_path, latency_p95_slo_ms=500.0, error_rate_slo=0.1,
                                         cost_per_call_budget_usd=0.0015), end=day(3))  # fmt: skip
    [m1, m2] = sorted(summary.rows, key=lambda r: r.model)
    assert (m1.n_calls, m1.n_errors, m1.n_scored) == (6, 1, 5)
    assert m1.error_rate == pytest.approx(1 / 6)
    assert m1.cost_usd == pytest.approx(0.010) and m1.cost_per_call_usd == pytest.approx(0.010 / 6)
    assert m1.latency_p50_ms == 300.0  # answered calls only: the 30 s timeout counts as an error
    assert m1.latency_p95_ms == pytest.approx(880.0)  # linear interpolation over 100..1000
    assert m1.mean == pytest.approx(0.4) and m1.ci_low is not None and m1.ci_low <= 0.4 <= (m1.ci_high or 0)
    assert m1.flags == ["over_cost_per_call", "over_latency_slo", "over_error_rate"]
    assert (m2.n_calls, m2.mean, m2.flags) == (1, 1.0, [])
    assert m1.trailing_n == 0 and m1.delta is None and not m1.degraded  # nothing before: no comparison


def _history(logs: LogFactory, days: range, n: int = 30) -> None:
    for d in days:
        logs.add(d, GROUNDED, n=n)


def test_a_drop_beyond_the_tolerance_is_flagged(logs: LogFactory, db_path: Path) -> None:
    _history(logs, range(7))
    logs.add(7, GROUNDED, n=15)
    logs.add(7, UNGROUNDED, n=15)
    [row] = run_online(online_settings(db_path, tolerance=0.05), end=day(7)).rows
    assert (row.trailing_n, row.n_scored) == (210, 30)
    assert row.delta == pytest.approx(-0.5)
    assert row.delta_ci_high is not None and row.delta_ci_high < -0.05
    assert row.degraded and row.flags == ["degraded"]


def test_a_drop_within_the_tolerance_is_not_flagged_even_when_certain(
    logs: LogFactory, db_path: Path
) -> None:
    _history(logs, range(7))
    logs.add(7, TWO_THIRDS, n=30)  # every item 2/3 against 1.0 before: a certain drop of 1/3
    lenient = run_online(online_settings(db_path, tolerance=0.4), end=day(7)).rows[0]
    assert lenient.delta_ci_high == pytest.approx(-1 / 3, abs=1e-5) and not lenient.degraded
    strict = run_online(online_settings(db_path, tolerance=0.3), end=day(7)).rows[0]
    assert strict.degraded  # same scores (nothing rescored), stricter tolerance


def test_too_few_scored_items_never_flag(logs: LogFactory, db_path: Path) -> None:
    _history(logs, range(7))
    logs.add(7, UNGROUNDED, n=5)
    [row] = run_online(online_settings(db_path, min_scored=20), end=day(7)).rows
    assert row.delta == pytest.approx(-1.0) and row.delta_ci_low is None and not row.degraded


def test_only_the_trailing_days_count(logs: LogFactory, db_path: Path) -> None:
    logs.add(0, UNGROUNDED, n=30)  # 8 days before day 8: outside a 7-day trailing window
    _history(logs, range(1, 8))
    logs.add(8, GROUNDED, n=30)
    [row] = run_online(online_settings(db_path, window_days=1), days=9, end=day(8)).rows[-1:]
    assert row.day == day(8) and row.trailing_n == 210 and row.trailing_mean == 1.0


def test_sampling_is_seeded_capped_per_day_and_stable_when_logs_arrive(
    logs: LogFactory, db_path: Path
) -> None:
    logs.add(0, GROUNDED, n=200)
    logs.add(1, GROUNDED, n=200)
    cfg = online_settings(db_path, sample_rate=0.5, max_per_day=None, seed=7).online
    window = Window(day(0), day(1))
    picked = {i.item_id for c in plan_scoring(logs.store, window, cfg).chunks for i in c.items}
    assert 150 < len(picked) < 250  # about half of 400
    assert picked == {i.item_id for c in plan_scoring(logs.store, window, cfg).chunks for i in c.items}
    other_seed = cfg.model_copy(update={"seed": 8})
    assert picked != {i.item_id for c in plan_scoring(logs.store, window, other_seed).chunks for i in c.items}
    logs.add(1, GROUNDED, n=100)  # late arrivals never push a sampled call out
    assert picked <= {i.item_id for c in plan_scoring(logs.store, window, cfg).chunks for i in c.items}
    capped = cfg.model_copy(update={"max_per_day": 10, "chunk_size": 4})
    plan = plan_scoring(logs.store, window, capped)
    assert plan.n_pending == 20 and [len(c.items) for c in plan.chunks] == [4, 4, 4, 4, 4]
    assert set(plan.days.values()) == {day(0), day(1)}


def test_judge_errors_are_recorded_then_retried(logs: LogFactory, db_path: Path) -> None:
    [log_id] = logs.add(0, GROUNDED)
    cfg = online_settings(db_path).online
    window = Window(day(0), day(0))
    days = {log_id: day(0)}
    failed = ScoredChunk("grounded", (log_id,), (Score.failed("grounded", "judge timed out"),))
    record_scores(logs.store, days, [failed])
    assert logs.store.rows("SELECT status, value, error FROM scores") == [
        {"status": "judge_error", "value": None, "error": "judge timed out"}
    ]
    assert plan_scoring(logs.store, window, cfg).n_pending == 1  # not done: the next run retries it
    record_scores(logs.store, days, [ScoredChunk("grounded", (log_id,), (Score("grounded", 0.75),))])
    record_scores(logs.store, days, [ScoredChunk("grounded", (log_id,), (Score("grounded", 0.1),))])
    assert logs.store.rows("SELECT status, value FROM scores") == [{"status": "ok", "value": 0.75}]
    assert plan_scoring(logs.store, window, cfg).n_pending == 0


def test_items_without_context_are_skipped_and_recorded(logs: LogFactory, db_path: Path) -> None:
    logs.add(0, GROUNDED, context=None)
    run_online(online_settings(db_path), end=day(0))
    with open_store(db_path) as s:
        assert s.rows("SELECT status, value FROM scores") == [{"status": "skipped", "value": None}]


def test_low_scoring_logs_feed_the_miner(logs: LogFactory, db_path: Path) -> None:
    good = logs.add(0, GROUNDED, n=2)
    bad = logs.add(0, UNGROUNDED, n=2)
    half = logs.add(1, "Refunds are available within thirty days. Refunds take ninety weeks.")
    run_online(online_settings(db_path), days=2, end=day(1))
    with open_store(db_path) as s:
        assert low_scoring_logs(s, Window(day(0), day(1)), 0.6) == [
            *((i, "grounded", 0.0) for i in bad), (half[0], "grounded", 0.5)
        ]  # fmt: skip
        assert low_scoring_logs(s, Window(day(1), day(1)), 0.6) == [(half[0], "grounded", 0.5)]
        assert not set(good) & {i for i, _, _ in low_scoring_logs(s, Window(day(0), day(1)), 1.0)}


@pytest.mark.parametrize(
    ("metrics", "message"),
    [(["no_such_metric"], "unknown metric 'no_such_metric'"), (["token_f1"], "needs reference")],
)
def test_unusable_metrics_fail_before_anything_is_written(
    logs: LogFactory, db_path: Path, metrics: list[str], message: str
) -> None:
    logs.add(0, GROUNDED)
    with pytest.raises(ConfigError, match=message) as err:
        run_online(online_settings(db_path, metrics=metrics), end=day(0))
    assert err.value.hint
    assert counts(db_path) == {"outputs": 0, "scores": 0, "online_daily": 0, "runs": 0}


def test_an_empty_store_is_a_value_not_an_error(db_path: Path) -> None:
    summary = run_online(online_settings(db_path))
    assert summary.window is None and "No logs" in online_markdown(summary)


def test_online_config_section_is_strict(tmp_path: Path) -> None:
    cfg = tmp_path / "p.toml"
    cfg.write_text("[online]\nmetrics = ['grounded']\ntolerence = 0.1\n")
    with pytest.raises(ConfigError, match="did you mean 'tolerance'"):
        load_settings(cfg, env={})
    cfg.write_text("[online]\ntask_runner = 'spark'\n")
    with pytest.raises(ConfigError, match=r"online\.task_runner"):
        load_settings(cfg, env={})
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        parse_day("20/11/2026")


def test_bootstrap_intervals_are_seeded_and_cover_the_estimate() -> None:
    values = [0.0, 1.0] * 50
    a = mean_interval(values, 0.95, 1000, seeded_rng(1, "g"))
    b = mean_interval(values, 0.95, 1000, seeded_rng(1, "g"))
    assert a == b and a is not None and a.low < 0.5 < a.high and a.high - a.low < 0.25
    assert mean_interval([], 0.95, 1000, seeded_rng(1)) is None
    delta = difference_interval([0.2] * 40, [0.8] * 40, 0.95, 1000, seeded_rng(1))
    assert delta is not None and delta.estimate == pytest.approx(-0.6) and is_degraded(delta, 0.5)
    assert not is_degraded(delta, 0.61) and not is_degraded(None, 0.0)


def test_markdown_keeps_log_text_inert() -> None:
    assert md_cell("app|<script>alert(1)</script>\n[x](http://evil)") == (
        r"app\|\<script\>alert\(1\)\</script\> \[x\]\(http://evil\)"
    )


def test_chunks_carry_only_what_metrics_need() -> None:
    chunk = Chunk("grounded", (EvalItem("l1", "q", "a", context="c"),))
    assert chunk.items[0].reference is None
