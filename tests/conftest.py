"""Shared fixtures. Telemetry is off and Hugging Face offline before anything heavy is imported."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from paritylab._env import apply_env_defaults

apply_env_defaults()
# Prefect keeps cache records and its SQLite API under PREFECT_HOME: a private one per test session.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="paritylab-prefect-"))
# The session's one Prefect server answers both workers' flows: on a slow CI machine some answers took
# longer than the client's default 60 s (httpx.ReadTimeout). A hang guard, not a speed test.
os.environ.setdefault("PREFECT_API_REQUEST_TIMEOUT", "900")
# Its SQLite answers 503 when a write meets another (SQLITE_BUSY): seen on a machine held to 0.1 core, after
# the client's 5 retries (2 + 4 + ... + 32 s). 8 retries wait up to ~8 min, the time such a machine needs.
os.environ.setdefault("PREFECT_CLIENT_MAX_RETRIES", "8")
for _var in [v for v in os.environ if v.startswith("PARITYLAB_")]:
    os.environ.pop(_var)  # a developer's PARITYLAB_* must not leak into tests

import pytest  # noqa: E402
from prefect_shared import SHARED_DIR_VAR, claim_shared_dir, shared_api_url, stop_shared_server  # noqa: E402
from tests_support import TEST_KEY  # noqa: E402

from paritylab.sim.server import RunningServer, SimServer, start_in_thread  # noqa: E402
from paritylab.store import Store, open_store  # noqa: E402

OWNS_SESSION = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def sim_server() -> Iterator[RunningServer]:
    """One loopback sim-serve for the session: fast answers, requires TEST_KEY."""
    # A 'timeout' fault is held for a minute: a client that gives up late on a loaded machine (its timeout
    # is 10 s in test_sdk_adapters) must not receive the 504 that follows, a different error class.
    server = start_in_thread(SimServer(latency_ms=5.0, hang_s=60.0, retry_after_s=0.3, require_key=TEST_KEY))
    yield server
    server.stop()


@pytest.fixture
def sim(sim_server: RunningServer) -> Iterator[RunningServer]:
    """The session server with counters, scripted faults and fault rates reset around each test."""
    sim_server.app.reset()
    sim_server.app.faults.rates = None
    yield sim_server
    sim_server.app.reset()
    sim_server.app.faults.rates = None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "store.duckdb") as db:
        yield db


def pytest_configure(config: pytest.Config) -> None:
    config.stash[OWNS_SESSION] = claim_shared_dir()
    if not hasattr(config, "workerinput"):  # an xdist worker's output is not shown
        config.pluginmanager.register(ReportAsItHappens(config), "paritylab-report-as-it-happens")


# The modules that take longest, longest first (minutes each on a slow CI machine: Prefect servers and
# flow runs, child processes, Great Expectations imports, many small ingests). xdist hands modules out in
# collection order (./dev test passes --no-loadscope-reorder; by default it sends modules with the fewest
# tests last, which put these at the end, one after another on one worker while the other idled). First,
# they run beside the many short modules. The rest keep their order.
LONGEST_FIRST = (
    "tests/deploy/test_real_server.py",
    "tests/flows/test_nightly.py",
    "tests/evaluate/test_compare_cli.py",
    "tests/ingest/test_groups.py",
    "tests/ingest/test_validator.py",
    "tests/ingest/test_ingest_pipeline.py",
    "tests/cases/test_golden_cli_flow.py",
    "tests/evaluate/test_model_upgrade_flow.py",
    "tests/online/test_online_flow.py",
    "tests/flows/test_smoke_flow.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {module: i for i, module in enumerate(LONGEST_FIRST)}
    # a stable sort: each module's tests stay together and in their order
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


SLOW_PHASE_S = 120.0  # a phase this long is reported as it ends: where a slow CI machine's time goes


class ReportAsItHappens:
    """On the controller (or the only process), say at once which test failed (or took minutes), with its
    error: a CI run stopped by its time limit prints no summary, only the dots up to there."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not (report.failed or report.duration >= SLOW_PHASE_S):
            return
        outcome, why = ("FAILED", _crash_line(report)) if report.failed else ("slow", "")
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(f"\n{outcome} {report.nodeid} ({report.when}, {report.duration:.0f} s) {why}")


def _crash_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None:
        return report.longreprtext.strip().splitlines()[-1] if report.longreprtext.strip() else ""
    return f"{Path(crash.path).name}:{crash.lineno}: {' '.join(crash.message.split())[:400]}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(OWNS_SESSION, False):
        stop_shared_server()
        shutil.rmtree(os.environ.pop(SHARED_DIR_VAR), ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """The session's one Prefect API (what prefect_test_harness runs: a temporary SQLite database), shared
    by both xdist workers: each start costs seconds on a laptop, minutes on a slow CI machine."""
    from prefect.context import _temporary_global_settings_context, get_settings_context
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = shared_api_url(startup_timeout_s=1800)  # a hang guard: ~14 min was seen on a slow 2-core machine
    # as in the harness: code running in a context copied before this one sees the API too (the second
    # context is made after the first is entered)
    with (
        temporary_settings(updates={PREFECT_API_URL: url}),
        _temporary_global_settings_context(get_settings_context()),
    ):
        yield url
