"""Helpers shared by the cases tests."""

from __future__ import annotations

from pathlib import Path

from paritylab.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def make_settings(tmp_path: Path, **cases: object) -> Settings:
    """Defaults + the datasets folder under tmp (never the repo's datasets/) + the bundled golden set."""
    base = load_settings(ROOT / "paritylab.toml", env={}, store=tmp_path / "store.duckdb")
    overrides = {"datasets_dir": tmp_path / "datasets", "golden_file": ROOT / "datasets/golden/cases.jsonl"}
    merged = base.cases.model_validate({**base.cases.model_dump(), **overrides, **cases})
    return base.model_copy(update={"cases": merged})
