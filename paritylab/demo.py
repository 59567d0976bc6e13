"""`paritylab demo`: the main job. For now the smoke eval of the configured candidates, run twice to
show that the second pass is served from the cache with zero provider calls."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from paritylab import aio
from paritylab.config import Settings, load_settings
from paritylab.providers.runner import CallResult, Runner
from paritylab.sim.server import SimServer, start_in_thread
from paritylab.smoke import CandidateSummary, SmokeCase, load_cases, run_smoke
from paritylab.store import Store, open_store
from paritylab.store.ledger import Ledger
from paritylab.store.runs import finish_run, start_run

SIMSERVE_URL, SIMSERVE_KEY = "SIMSERVE_URL", "SIMSERVE_API_KEY"


@dataclass(frozen=True)
class DemoOutcome:
    run_id: str
    store: Path
    first: list[CandidateSummary]
    second: list[CandidateSummary]
    http_requests_first: int
    http_requests_second: int
    ledger: list[dict[str, object]]


@contextmanager
def local_sim_serve(latency_ms: float | None = 40.0) -> Iterator[SimServer | None]:
    """Start sim-serve on a free loopback port unless SIMSERVE_URL already points somewhere."""
    if os.environ.get(SIMSERVE_URL):
        yield None
        return
    app = SimServer(latency_ms=latency_ms)
    server = start_in_thread(app)
    os.environ[SIMSERVE_URL] = server.url
    os.environ.setdefault(SIMSERVE_KEY, "sim-local-not-a-secret")
    try:
        yield app
    finally:
        server.stop()
        os.environ.pop(SIMSERVE_URL, None)


@contextmanager
def sim_serve_if_needed(settings: Settings) -> Iterator[SimServer | None]:
    """The demo config reaches the simulator through the real SDKs at ${SIMSERVE_URL}: start a loopback
    sim-serve for the duration when a model refers to it and nothing is set (a deployed worker, a flow)."""
    if any(f"${{{SIMSERVE_URL}}}" in (m.base_url or "") for m in settings.models.values()):
        with local_sim_serve() as app:
            yield app
    else:
        yield None


def run_demo(
    config: Path | None,
    store: Path | None,
    run_id: str | None,
    progress: Callable[[str, int], Callable[[CallResult], None]] | None = None,
) -> DemoOutcome:
    with local_sim_serve() as sim:
        settings = load_settings(config, store=store)
        cases = load_cases()
        with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as db:
            run_id = start_run(
                db, "smoke", {"candidates": list(settings.candidates), "cases": len(cases)}, run_id
            )
            total = len(cases) * len(settings.candidates)
            ledger = Ledger(db)
            passes, requests = [], []
            for label in ("first pass", "second pass (cache)"):
                before = sim.stats["requests"] if sim else 0
                on_result = progress(label, total) if progress else None
                passes.append(aio.run(_one_pass(settings, ledger, run_id, cases, on_result)))
                requests.append((sim.stats["requests"] if sim else 0) - before)
            totals = ledger_summary(db, run_id)
            finish_run(
                db,
                run_id,
                "completed",
                {"candidates": [asdict(s) for s in passes[0]]},
                simulated=any(s.simulated for s in passes[0]),
            )
    return DemoOutcome(run_id, settings.store, passes[0], passes[1], requests[0], requests[1], totals)


async def _one_pass(
    settings: Settings,
    ledger: Ledger,
    run_id: str,
    cases: list[SmokeCase],
    on_result: Callable[[CallResult], None] | None,
) -> list[CandidateSummary]:
    async with Runner(settings, ledger=ledger, run_id=run_id) as runner:
        return await run_smoke(runner, cases, on_result)


def ledger_summary(db: Store, run_id: str | None = None) -> list[dict[str, object]]:
    """Attempts, outcomes and cost per model (and run), straight from the ledger."""
    where = "WHERE run_id = ?" if run_id else ""
    return db.rows(
        f"""SELECT run_id, model_name, provider,
                   count(*) FILTER (WHERE status <> 'cache_hit') AS attempts,
                   count(*) FILTER (WHERE status = 'ok') AS ok,
                   count(*) FILTER (WHERE status = 'error') AS errors,
                   count(*) FILTER (WHERE status = 'cache_hit') AS cache_hits,
                   string_agg(DISTINCT error_class, ', ') AS error_classes,
                   sum(input_tokens) FILTER (WHERE status = 'ok') AS input_tokens,
                   sum(output_tokens) FILTER (WHERE status = 'ok') AS output_tokens,
                   round(sum(cost_usd), 6) AS cost_usd,
                   bool_or(simulated) AS simulated
            FROM calls {where} GROUP BY ALL ORDER BY run_id, model_name""",
        [run_id] if run_id else None,
    )


@dataclass(frozen=True)
class NightOutcome:
    run_id: str
    report: Path
    store: Path
    verdicts: list[dict[str, object]]


def run_nightly_demo(config: Path | None, store: Path | None, night: str | None) -> NightOutcome:
    """Run flows/nightly.py on the bundled sample logs (Prefect's ephemeral API unless PREFECT_API_URL)."""
    from flows.nightly import nightly_eval

    settings = load_settings(config, store=store)
    report = Path(
        nightly_eval(config=str(config) if config else None, store=str(settings.store), night=night)
    )
    with open_store(settings.store, read_only=True) as db:
        [run] = db.rows("SELECT run_id FROM reports ORDER BY created_at DESC LIMIT 1")
        verdicts = db.rows(
            "SELECT candidate, verdict, reason FROM verdicts WHERE run_id = ? ORDER BY candidate",
            [run["run_id"]],
        )
    return NightOutcome(run["run_id"], report, settings.store, verdicts)
