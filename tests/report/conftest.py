"""A sample store (7 nightly runs, 3 candidates, XSS payloads in log-derived text) and tonight's report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from report_sample import Sample

from paritylab.report import render_report
from paritylab.report.sample import SamplePlan, build_sample_store
from paritylab.store import Store, open_store


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    root = tmp_path_factory.mktemp("report-sample")
    with open_store(root / "sample.duckdb") as db:
        run_ids = build_sample_store(db, SamplePlan(payloads=True))
        paths = render_report(db, run_ids[-1], root / "reports")
    return Sample(root / "sample.duckdb", run_ids, root / "reports", paths)


@pytest.fixture
def sample_db(sample: Sample) -> Iterator[Store]:
    with sample.open() as db:
        yield db
