"""Fixtures for the cases tests: a store holding the ingested sample logs, settings writing under tmp."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from paritylab.config import Settings, load_settings
from paritylab.store import Store, open_store
from tests.cases.helpers import ROOT, make_settings

SAMPLE_LOGS = ROOT / "datasets" / "sample" / "logs"


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample logs ingested once per session (through the real ingest)."""
    from paritylab.ingest.run import ingest_paths

    folder = tmp_path_factory.mktemp("sample-store")
    settings = load_settings(ROOT / "paritylab.toml", env={}, store=folder / "sample.duckdb")
    ingest_paths(settings, [str(SAMPLE_LOGS)])
    return folder / "sample.duckdb"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def sample_store(sample_db: Path, settings: Settings) -> Iterator[Store]:
    """A private copy of the ingested sample store, opened for writing."""
    shutil.copy(sample_db, settings.store)
    with open_store(settings.store) as db:
        yield db
