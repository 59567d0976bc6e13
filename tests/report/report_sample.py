"""The sample a report test works on (a module of its own: test modules import it by name)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from paritylab.report import ReportPaths
from paritylab.store import Store, open_store


@dataclass(frozen=True)
class Sample:
    store_path: Path
    run_ids: list[str]
    reports_dir: Path
    paths: ReportPaths

    @property
    def tonight(self) -> str:
        return self.run_ids[-1]

    def open(self) -> Store:
        return open_store(self.store_path)
