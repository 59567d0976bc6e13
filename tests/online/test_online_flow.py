"""The online-eval and nightly flows under Prefect's test harness, on the bundled sample logs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from paritylab.store import open_store

ROOT = Path(__file__).resolve().parents[2]
TWO_DAYS = [
    str(ROOT / "datasets/sample/logs/wrapper-2026-11-19.jsonl"),
    str(ROOT / "datasets/sample/logs/wrapper-2026-11-20.jsonl"),
]


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One Prefect test harness for these flow tests (a temporary SQLite API). No conftest.py here: a
    second conftest module would shadow tests/conftest.py for `from conftest import ...`."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def artifacts_of(flow_run_id: UUID) -> dict[str, Any]:
    """Artifacts of a flow run and of its subflows, by key, read through the API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterParentFlowRunId

    async def read() -> dict[str, Any]:
        async with get_client() as client:
            children = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])
                )
            )
            ids = [flow_run_id, *(c.id for c in children)]
            found = await client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
            return {a.key: a for a in found}

    return asyncio.run(read())


def table_counts(store: Path) -> dict[str, int]:
    with open_store(store) as s:
        tables = ("logs", "outputs", "scores", "online_daily", "runs")
        return {t: s.rows(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in tables}


def test_nightly_ingests_scores_publishes_and_a_rerun_adds_nothing(prefect_api: None, tmp_path: Path) -> None:
    from flows.nightly import nightly_eval

    store = str(tmp_path / "night.duckdb")
    state = nightly_eval(logs=TWO_DAYS, store=store, return_state=True)
    assert state.is_completed()
    first = table_counts(Path(store))
    assert first["logs"] == 277 + 286  # every call of the two wrapper files (sample rate 1)
    assert first["outputs"] == first["scores"] > 400  # answered calls of the two days, one metric
    with open_store(Path(store)) as s:
        assert s.rows("SELECT DISTINCT candidate_id FROM scores") == [{"candidate_id": "production"}]
        days = s.rows("SELECT DISTINCT day FROM online_daily ORDER BY day")
    # window: the newest day plus 7 trailing days; aggregates exist for the days with calls
    assert [str(r["day"]) for r in days] == ["2026-11-19", "2026-11-20"]
    found = artifacts_of(state.state_details.flow_run_id)
    assert {"nightly-summary", "online-eval", "ingest-batches"} <= set(found)
    assert "Online eval" in found["nightly-summary"].data and "gpt-4o-mini" in found["nightly-summary"].data

    again = nightly_eval(logs=TWO_DAYS, store=store, return_state=True)
    assert again.is_completed() and table_counts(Path(store)) == first
    assert "New logs stored: **0**" in artifacts_of(again.state_details.flow_run_id)["nightly-summary"].data


def test_online_eval_flow_scores_only_what_is_new(prefect_api: None, tmp_path: Path) -> None:
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
