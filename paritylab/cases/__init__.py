"""Production failures -> versioned eval cases: detection, near-duplicate grouping, dataset versions
(Hugging Face datasets on disk + DuckDB rows), human review round-trips."""

from paritylab.cases.detect import Window
from paritylab.cases.golden import seed_golden
from paritylab.cases.mine import MineResult, mine_failures
from paritylab.cases.model import EvalCase
from paritylab.cases.versions import (
    VersionDiff,
    VersionInfo,
    diff_versions,
    latest_version,
    load_version_cases,
)

__all__ = [
    "EvalCase",
    "MineResult",
    "VersionDiff",
    "VersionInfo",
    "Window",
    "diff_versions",
    "latest_version",
    "load_version_cases",
    "mine_failures",
    "seed_golden",
]
