"""The chunked generation path (what Dask workers run, called here as plain functions): the same outputs
and ledger as in process, the store written only by the recording step, reruns that call no provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eval_fixtures import fast_providers, kb_settings_in

from paritylab import aio
from paritylab.config import Settings
from paritylab.evaluate.distribute import answer_chunk, plan_chunks, record_answers, share_limits
from paritylab.evaluate.generate import generate_outputs
from paritylab.evaluate.plan import ComparisonPlan, ComparisonRequest, prepare
from paritylab.providers.base import ChatRequest, Completion, Provider
from paritylab.providers.runner import Runner
from paritylab.store import Store, open_store
from paritylab.store.ledger import Ledger

CANDIDATES = ["equivalent", "weak"]
VOLATILE = {"created_at", "started_at", "latency_ms"}  # wall-clock facts, not semantics


class CountingProvider:
    """The fast sim, counting the requests that reach it."""

    def __init__(self, inner: Provider) -> None:
        self.inner, self.kind, self.calls = inner, inner.kind, 0

    async def generate(self, model: str, request: ChatRequest, timeout_s: float) -> Completion:
        self.calls += 1
        return await self.inner.generate(model, request, timeout_s)

    async def aclose(self) -> None:
        await self.inner.aclose()


def counting() -> dict[str, CountingProvider]:
    return {name: CountingProvider(p) for name, p in fast_providers().items()}


def settings_in(folder: Path) -> Settings:
    folder.mkdir()
    return kb_settings_in(folder, open_store(folder / "store.duckdb"))


def plan_for(settings: Settings, run_id: str) -> ComparisonPlan:
    with open_store(settings.store) as db:
        return prepare(
            db, settings, ComparisonRequest(dataset="smoke@v1", candidates=CANDIDATES, run_id=run_id)
        )


def chunked(plan: ComparisonPlan, providers: dict[str, Any], chunk_cases: int = 5) -> int:
    """Plan as the writer, answer each chunk as a worker would (no store open), record as the writer."""
    with open_store(plan.settings.store, read_only=True) as db:
        todo, _ = plan_chunks(db, plan, chunk_cases)
    answers = [aio.run(answer_chunk(share_limits(plan.settings, 2), c, providers)) for c in todo]
    with open_store(plan.settings.store) as db:
        return sum(record_answers(db, plan, a) for a in answers)


def in_process(plan: ComparisonPlan, providers: dict[str, Any]) -> None:
    async def go(db: Store) -> None:
        async with Runner(plan.settings, ledger=Ledger(db), run_id=plan.run_id, providers=providers) as r:
            await generate_outputs(db, r, plan)

    with open_store(plan.settings.store) as db:
        aio.run(go(db))


def table(settings: Settings, name: str, order: str) -> list[dict[str, Any]]:
    with open_store(settings.store, read_only=True) as db:
        rows = db.rows(f"SELECT * FROM {name} ORDER BY {order}")
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in rows]


def test_chunks_write_what_the_in_process_path_writes(tmp_path: Path) -> None:
    one, two = settings_in(tmp_path / "one"), settings_in(tmp_path / "two")
    in_process(plan_for(one, "r1"), counting())
    plan = plan_for(two, "r1")
    with open_store(two.store, read_only=True) as db:
        todo, done_before = plan_chunks(db, plan, 5)
    assert done_before == 0
    assert [len(c.specs) for c in todo] == [5, 5, 4] * 3  # per candidate (baseline first), 14 cases
    assert chunked(plan, counting()) == 14 * 3

    outputs = table(two, "outputs", "case_id, candidate_id")
    assert len(outputs) == 42 and {o["status"] for o in outputs} == {"ok"}
    assert outputs == table(one, "outputs", "case_id, candidate_id")
    calls = table(two, "calls", "call_id")
    assert len(calls) >= 42 and {c["status"] for c in calls} <= {"ok", "error"}
    assert calls == table(one, "calls", "call_id")
    assert table(two, "responses", "request_hash") == table(one, "responses", "request_hash")


def test_a_rerun_calls_no_provider(tmp_path: Path) -> None:
    settings = settings_in(tmp_path / "s")
    first = counting()
    assert chunked(plan_for(settings, "r1"), first) == 42
    assert sum(p.calls for p in first.values()) >= 42

    resumed = counting()  # the same run: every case is answered, nothing is planned
    plan = plan_for(settings, "r1")
    with open_store(settings.store, read_only=True) as db:
        assert plan_chunks(db, plan, 5) == ([], 42)
    assert chunked(plan, resumed) == 0

    again = counting()  # a new run of the same requests: all from the cache, each a cache_hit row
    assert chunked(plan_for(settings, "r2"), again) == 42
    assert sum(p.calls for p in [*resumed.values(), *again.values()]) == 0
    with open_store(settings.store, read_only=True) as db:
        statuses = db.rows("SELECT status, count(*) AS n FROM calls WHERE run_id = 'r2' GROUP BY ALL")
        [cached] = db.rows("SELECT bool_and(cached) AS all_cached FROM outputs WHERE run_id = 'r2'")
    assert statuses == [{"status": "cache_hit", "n": 42}] and cached["all_cached"]


@pytest.mark.parametrize(("processes", "expected"), [(2, (8, 30, None)), (3, (5, 20, None))])
def test_workers_share_each_models_limits(
    tmp_path: Path, processes: int, expected: tuple[int, int, None]
) -> None:
    settings = settings_in(tmp_path / "s")
    base = settings.models["good"].model_copy(update={"concurrency": 16, "rpm": 60, "tpm": None})
    shared = share_limits(settings.model_copy(update={"models": {"good": base}}), processes).models["good"]
    assert (shared.concurrency, shared.rpm, shared.tpm) == expected
