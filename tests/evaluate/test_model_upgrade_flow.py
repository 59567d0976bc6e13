"""The model-upgrade flow under Prefect's test harness: its tasks run, the verdicts are stored and a
table artifact is published."""

from __future__ import annotations

import asyncio
from pathlib import Path

from eval_fixtures import insert_cases, smoke_cases, write_config

from paritylab.cli_compare import gate_decision
from paritylab.store import open_store


def test_model_upgrade_flow_stores_verdicts_and_publishes(prefect_api: str, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    from flows.model_upgrade import model_upgrade

    store = tmp_path / "flow.duckdb"
    with open_store(store) as db:
        insert_cases(db, "smoke", 1, smoke_cases())
    config = write_config(tmp_path / "paritylab.toml", store)
    run_id = model_upgrade(
        candidates=["weak"],
        dataset="smoke@v1",
        margins={"token_f1": 0.04},
        run_id="flow-1",
        config=str(config),
        report_dir=str(tmp_path / "reports"),
    )
    assert run_id == "flow-1"
    with open_store(store) as db:
        [verdict] = db.rows("SELECT candidate, verdict, cases_needed FROM verdicts WHERE run_id = 'flow-1'")
        margins = {
            r["metric"]: r["margin"]
            for r in db.rows("SELECT metric, margin FROM parity WHERE run_id = 'flow-1' AND tag = ''")
        }
        code, message = gate_decision(db, "flow-1")
        [run] = db.rows("SELECT status, simulated FROM runs WHERE run_id = 'flow-1'")
    assert verdict["candidate"] == "weak" and verdict["verdict"] in {"FAIL", "INCONCLUSIVE"}
    assert margins == {"token_f1": 0.04, "grounded": 0.05}
    assert code in {1, 2} and "weak" in message
    assert run == {"status": "completed", "simulated": True}
    assert (tmp_path / "reports" / "flow-1" / "model-upgrade.html").exists()

    async def artifacts() -> list[object]:
        async with get_client() as client:
            return list(await client.read_latest_artifacts())

    keys = {a.key for a in asyncio.run(artifacts())}  # type: ignore[attr-defined]
    assert {"model-upgrade-verdicts", "model-upgrade-summary"} <= keys


def test_model_upgrade_on_a_task_runner_answers_in_chunks_and_resumes(
    prefect_api: str, tmp_path: Path
) -> None:
    """task_runner='threads' takes the chunked path (the one Dask runs); a rerun of the run calls nothing."""
    from flows.model_upgrade import model_upgrade

    store = tmp_path / "chunks.duckdb"
    with open_store(store) as db:
        insert_cases(db, "smoke", 1, smoke_cases())
    args = {"candidates": ["weak"], "dataset": "smoke@v1", "run_id": "chunks", "task_runner": "threads"}
    args |= {"chunk_cases": 4, "config": str(write_config(tmp_path / "paritylab.toml", store))}

    def counts() -> dict[str, int]:
        with open_store(store) as db:
            [row] = db.rows(
                "SELECT (SELECT count(*) FROM outputs) AS outputs, (SELECT count(*) FROM calls "
                "WHERE purpose = 'generate') AS calls, (SELECT count(*) FROM verdicts) AS verdicts"
            )
        return row

    assert model_upgrade(**args, report_dir=str(tmp_path / "r1")) == "chunks"
    first = counts()
    assert first["outputs"] == 28 and first["calls"] >= 28 and first["verdicts"] == 1
    model_upgrade(**args, report_dir=str(tmp_path / "r2"))
    assert counts() == first
