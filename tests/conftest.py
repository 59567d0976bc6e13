"""Shared fixtures. Telemetry is off and Hugging Face offline before anything heavy is imported."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from paritylab._env import apply_quiet_defaults

apply_quiet_defaults()
# Prefect keeps cache records and its SQLite API under PREFECT_HOME: a private one per test session.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="paritylab-prefect-"))
for _var in [v for v in os.environ if v.startswith("PARITYLAB_")]:
    os.environ.pop(_var)  # a developer's PARITYLAB_* must not leak into tests

import pytest  # noqa: E402
from tests_support import TEST_KEY  # noqa: E402

from paritylab.sim.server import RunningServer, SimServer, start_in_thread  # noqa: E402
from paritylab.store import Store, open_store  # noqa: E402


@pytest.fixture(scope="session")
def sim_server() -> Iterator[RunningServer]:
    """One loopback sim-serve for the session: fast answers, requires TEST_KEY."""
    server = start_in_thread(SimServer(latency_ms=5.0, hang_s=6.0, retry_after_s=0.3, require_key=TEST_KEY))
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


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One Prefect test harness (a temporary SQLite API) for every flow test of the session (of each
    xdist worker): each start costs seconds, minutes on a slow machine."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=900):
        yield
