"""The golden set's shape, the CLI end to end, and the Prefect flow."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paritylab.cases.golden import read_golden
from paritylab.config import Settings
from paritylab.errors import DatasetError, ReviewImportError
from tests.cases.helpers import ROOT

GOLDEN = ROOT / "datasets" / "golden" / "cases.jsonl"


def test_golden_set_is_balanced_and_its_references_are_extractive() -> None:
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    cases = read_golden(GOLDEN)
    assert len(cases) == len(rows) == 120 and len({c.case_id for c in cases}) == 120
    counts = {t: sum(t in c.tags for c in cases) for t in ("normal", "edge", "should-refuse")}
    assert counts == {"normal": 70, "edge": 30, "should-refuse": 20}
    for row in rows:
        if "should-refuse" in row["tags"]:
            assert "don't have enough information" in row["reference"]
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", row["reference"]):
            assert sentence in row["context"], (row["question"], sentence)  # answerable from the context


def test_a_bad_golden_file_names_its_lines(tmp_path: Path) -> None:
    bad = tmp_path / "g.jsonl"
    bad.write_text('{"question": "q?", "reference": "r", "tags": ["normal"]}\n[1]\n{"question": ""}\n')
    with pytest.raises(DatasetError, match="2 bad lines") as err:
        read_golden(bad)
    assert "line 2: not a JSON object" in str(err.value) and "line 3: 'question'" in str(err.value)


def test_cli_mine_list_diff_export_import(sample_db: Path, settings: Settings, tmp_path: Path) -> None:
    import shutil

    from paritylab.cli import app

    shutil.copy(sample_db, settings.store)
    env = {
        "PARITYLAB_CASES__DATASETS_DIR": str(settings.cases.datasets_dir),
        "PARITYLAB_CASES__GOLDEN_FILE": str(GOLDEN),
    }
    run = CliRunner(env=env).invoke
    common = ["--store", str(settings.store), "--config", str(ROOT / "paritylab.toml")]
    out = run(app, ["cases", "mine", "--end", "2026-11-18", *common])
    assert out.exit_code == 0, out.output
    assert "support-evals v2 (parent v1)" in out.output and "sizes (largest first)" in out.output
    again = run(app, ["cases", "mine", "--end", "2026-11-18", *common])
    assert "nothing new: support-evals stays at v2" in again.output
    run(app, ["cases", "mine", *common])
    listed = run(app, ["cases", "list", *common])
    assert listed.exit_code == 0 and "seed" in listed.output and "mine" in listed.output
    diff = run(app, ["dataset", "diff", "support-evals", "v2", "v3", *common])
    assert diff.exit_code == 0 and re.search(r"v2 -> v3: \+\d+ added, -0 removed, ~\d+ changed", diff.output)
    assert (
        run(app, ["cases", "diff", "2", "3", *common]).output.splitlines()[0] == diff.output.splitlines()[0]
    )
    review = tmp_path / "review.csv"
    exported = run(app, ["cases", "export", str(review), *common])
    assert exported.exit_code == 0 and review.exists()
    review.write_text(review.read_text().replace("case_id,", "caseid,", 1))
    bad = run(app, ["cases", "import", str(review), *common])  # main() prints it as one clear message
    assert isinstance(bad.exception, ReviewImportError) and "missing column 'case_id'" in str(bad.exception)


def test_mine_flow_writes_a_version_and_is_idempotent(
    prefect_api: str, sample_db: Path, tmp_path: Path
) -> None:
    import os
    import shutil

    from flows.mine_failures import mine_failures

    store = tmp_path / "flow.duckdb"
    shutil.copy(sample_db, store)
    os.environ["PARITYLAB_CASES__DATASETS_DIR"] = str(tmp_path / "datasets")
    try:
        first = mine_failures(config=str(ROOT / "paritylab.toml"), store=str(store))
        second = mine_failures(config=str(ROOT / "paritylab.toml"), store=str(store))
    finally:
        os.environ.pop("PARITYLAB_CASES__DATASETS_DIR")
    assert first.version is not None and first.version.version == 2 and second.version is None
    assert (tmp_path / "datasets" / "support-evals" / "v2" / "cases.parquet").is_file()
