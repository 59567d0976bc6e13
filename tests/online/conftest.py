"""Fixtures for online-eval tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from online_helpers import LogFactory

from paritylab.store import open_store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "online.duckdb"


@pytest.fixture
def logs(db_path: Path) -> Iterator[LogFactory]:
    with open_store(db_path) as store:
        yield LogFactory(store)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One Prefect test harness for this directory's flow tests (a temporary SQLite API)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield
