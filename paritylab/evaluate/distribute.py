"""Generation spread over processes (a Dask cluster): the workers only call models, one process writes.

DuckDB allows one writing process, so a worker never opens the store. The writer plans chunks of
(candidate, cases) not yet answered in this run, each with the cached responses of its requests; a worker
answers a chunk with a Runner whose ledger is in memory and returns plain data (the results, the ledger
rows and the new cache entries), which the writer commits with the outputs in one transaction. A chunk
is coarse (hundreds of calls): Prefect's overhead per task is milliseconds.

Within a chunk the Runner behaves as in process (single flight, fallback, retries). Across chunks answered
at the same time, identical requests are sent once per chunk: the cache only sees a chunk once written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from paritylab.config import Settings
from paritylab.evaluate.generate import candidate_spec, existing_pairs, output_row
from paritylab.evaluate.plan import ComparisonPlan
from paritylab.evaluate.rows import chunks
from paritylab.providers.base import Provider
from paritylab.providers.runner import CallResult, CallSpec, Runner
from paritylab.store import Store
from paritylab.store.ledger import CachedResponse, CallRecord, Ledger, MemoryLedger, write_records
from paritylab.store.sql import insert_ignore

CHUNK_CASES = 200  # cases per mapped task (per candidate)


@dataclass(frozen=True)
class GenerationChunk:
    run_id: str
    candidate: str
    specs: list[CallSpec]
    cached: dict[str, CachedResponse]  # the responses already cached for these requests (and fallbacks)


@dataclass(frozen=True)
class ChunkAnswers:
    candidate: str
    results: list[CallResult]
    calls: list[CallRecord]  # ledger rows: attempts and cache hits
    responses: list[CachedResponse]  # new cache entries
    pid: int  # the process that answered (a Dask worker's)


def plan_chunks(
    store: Store, plan: ComparisonPlan, chunk_cases: int = CHUNK_CASES
) -> tuple[list[GenerationChunk], int]:
    """The chunks still to answer in this run (a resumed run skips what it has) and how many outputs
    exist already."""
    done = existing_pairs(store, "outputs", plan.run_id)
    hasher, cache = Runner(plan.settings), Ledger(store)  # hashing builds no provider; lookup only reads
    planned = []
    for name in plan.names:
        todo = [c for c in plan.cases if (c.case_id, plan.candidate_id(name)) not in done]
        for batch in chunks(todo, chunk_cases):
            specs = [candidate_spec(plan, name, case) for case in batch]
            hashes = [
                hasher.hash_for(model, s.request) for s in specs for model in _tried_models(plan.settings, s)
            ]
            planned.append(GenerationChunk(plan.run_id, name, specs, cache.lookup(hashes)))
    return planned, len(done)


def _tried_models(settings: Settings, spec: CallSpec) -> list[str]:
    """The spec's model and its fallback chain: each may be asked, each may be cached."""
    chain = [spec.model_name]
    while (fallback := settings.models[chain[-1]].fallback) and fallback not in chain:
        chain.append(fallback)
    return chain


async def answer_chunk(
    settings: Settings, chunk: GenerationChunk, providers: dict[str, Provider] | None = None
) -> ChunkAnswers:
    """Answer one chunk without the store (runs on a worker); cached requests cost no call."""
    ledger = MemoryLedger(chunk.cached)
    async with Runner(settings, ledger=ledger, run_id=chunk.run_id, providers=providers) as runner:
        results = await runner.run(chunk.specs)
    return ChunkAnswers(chunk.candidate, results, ledger.calls, ledger.responses, os.getpid())


def record_answers(store: Store, plan: ComparisonPlan, answers: ChunkAnswers) -> int:
    """Commit a chunk's ledger rows, cache entries and outputs together (all keyed: a rerun adds
    nothing twice); returns the number of outputs."""
    store.execute("BEGIN TRANSACTION")
    try:
        write_records(store, answers.calls, answers.responses)
        insert_ignore(store.con, "outputs", [output_row(plan, r) for r in answers.results])
        store.execute("COMMIT")
    except BaseException:
        store.execute("ROLLBACK")
        raise
    return len(answers.results)


def share_limits(settings: Settings, processes: int) -> Settings:
    """Settings whose per-model limits are split between `processes` runners working at once, so that
    together they keep to the configured concurrency, RPM and TPM."""
    models = {
        name: cfg.model_copy(
            update={
                "concurrency": max(1, cfg.concurrency // processes),
                "rpm": cfg.rpm and max(1, cfg.rpm // processes),
                "tpm": cfg.tpm and max(1, cfg.tpm // processes),
            }
        )
        for name, cfg in settings.models.items()
    }
    return settings.model_copy(update={"models": models})
