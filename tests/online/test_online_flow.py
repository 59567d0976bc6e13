"""The online-eval flow under Prefect's test harness, on the bundled sample logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from paritylab.store import open_store

ROOT = Path(__file__).resolve().parents[2]
TWO_DAYS = [
    str(ROOT / "datasets/sample/logs/wrapper-2026-11-19.jsonl"),
    str(ROOT / "datasets/sample/logs/wrapper-2026-11-20.jsonl"),
]


def test_online_eval_flow_scores_only_what_is_new(prefect_api: str, tmp_path: Path) -> None:
    from flows.ingest import ingest_logs
    from flows.online_eval import online_eval

    store = str(tmp_path / "online.duckdb")
    ingest_logs(TWO_DAYS[:1], store=store)
    first = online_eval(store=store, end="2026-11-19")
    assert first.scored_now > 200 and [str(d) for d in first.report_days] == ["2026-11-19"]
    ingest_logs(TWO_DAYS[1:], store=store)
    second = online_eval(store=store)  # the newest log's day: the 20th; the 19th is already scored
    assert [str(d) for d in second.report_days] == ["2026-11-20"]
    with open_store(Path(store)) as s:
        [per_day] = s.rows("SELECT count(*) FILTER (WHERE run_id = 'online-2026-11-20') AS n FROM scores")
    assert second.scored_now == per_day["n"]
    assert {r.trailing_n > 0 for r in second.rows if r.model == "gpt-4o-mini"} == {True}


def test_dask_without_a_server_is_a_clear_error() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from paritylab.errors import ConfigError
    from tasks.runners import task_runner

    with (
        temporary_settings(restore_defaults={PREFECT_API_URL}),
        pytest.raises(ConfigError, match="needs a Prefect server"),
    ):
        task_runner("dask")
    assert type(task_runner("threads")).__name__ == "ThreadPoolTaskRunner"
