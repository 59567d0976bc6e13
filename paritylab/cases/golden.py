"""Version 1 of a dataset: the curated golden set (datasets/golden/cases.jsonl), seeded once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paritylab.cases.model import EvalCase
from paritylab.cases.normalize import case_id_for
from paritylab.cases.versions import latest_version, write_version
from paritylab.config import CasesConfig, Settings
from paritylab.errors import DatasetError
from paritylab.store.db import Store
from paritylab.store.ledger import utcnow

REQUIRED = {"question": str, "reference": str, "tags": list}
OPTIONAL = {"context": (str, type(None)), "input_messages": (list, type(None)), "qid": (str, type(None))}


def cases_config(cfg: Settings | CasesConfig) -> CasesConfig:
    return cfg.cases if isinstance(cfg, Settings) else cfg


def seed_golden(store: Store, cfg: Settings | CasesConfig) -> int:
    """Create version 1 of the configured dataset from the golden file, once; return its number (1).

    Idempotent: if the dataset already has versions, nothing is written and 1 is returned.
    """
    c = cases_config(cfg)
    if latest_version(store, c.dataset) is not None:
        return 1
    cases = read_golden(c.golden_file)
    origin = {"kind": "seed", "file": str(c.golden_file), "n_cases": len(cases)}
    info = write_version(store, c.datasets_dir, c.dataset, cases, parent=None, origin=origin)
    assert info is not None and info.version == 1  # a first version always differs from "nothing"
    return info.version


def read_golden(path: Path) -> list[EvalCase]:
    """Parse and validate the golden JSONL; every problem is reported with its line number."""
    if not path.exists():
        raise DatasetError(f"golden set {path} does not exist", hint="set [cases].golden_file")
    now = utcnow()
    cases, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            cases.append(_golden_case(json.loads(line), now))
        except (ValueError, TypeError) as exc:
            problems.append(f"line {number}: {exc}")
    if problems:
        raise DatasetError(
            f"golden set {path} has {len(problems)} bad lines:\n  " + "\n  ".join(problems[:20]),
            hint="each line is a JSON object with question, reference, tags (and optional context)",
        )
    return cases


def _golden_case(row: Any, now: Any) -> EvalCase:
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    for key, kind in REQUIRED.items():
        if not isinstance(row.get(key), kind) or (kind is str and not row[key].strip()):
            raise ValueError(f"'{key}' must be a non-empty {kind.__name__}")
    for key, kinds in OPTIONAL.items():
        if not isinstance(row.get(key), kinds):
            raise ValueError(f"'{key}' has the wrong type")
    unknown = set(row) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    messages = row.get("input_messages")
    return EvalCase(
        case_id=case_id_for(row["question"]),
        question=row["question"],
        input_messages=json.dumps(messages) if messages is not None else None,
        context=row.get("context"),
        reference=row["reference"],
        tags=tuple(sorted({"golden", *map(str, row["tags"])})),
        created_at=now,
    )
