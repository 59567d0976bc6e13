"""Human review round-trip: export the cases that need a reference or a label, import the filled file.

An import is validated as a whole before anything is written: unknown or duplicate case ids, missing or
misspelt columns, scores outside [0, 1] are all reported together, and nothing is applied. Then, in one
transaction, labels go to `human_labels` (for judge calibration) and filled references make a new
dataset version. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paritylab.cases.model import EvalCase
from paritylab.cases.versions import VersionInfo, latest_version, load_cases, write_version
from paritylab.config import Settings
from paritylab.errors import DatasetError, ReviewImportError
from paritylab.hashing import content_hash
from paritylab.store.db import Store
from paritylab.store.ledger import utcnow

CONTEXT_COLUMNS = ["dataset", "version", "failure_kind", "tags", "question", "context", "production_output"]
REQUIRED_COLUMNS = ["case_id", "reference", "label"]
OPTIONAL_COLUMNS = ["score", "annotator", "metric", "candidate_id", "notes"]
DEFAULT_METRIC = "human_verdict"
REFERENCE_METRIC = "reference"


@dataclass
class ImportResult:
    rows: int
    labels: int
    references: int
    unreviewed: int  # rows with nothing filled in: counted, not applied
    version: VersionInfo | None
    problems: list[str] = field(default_factory=list)


def needs_review(store: Store, dataset: str, version: int) -> list[EvalCase]:
    """Cases without a reference, and failure cases no human has labelled yet."""
    labelled = {
        r["case_id"]
        for r in store.rows("SELECT DISTINCT case_id FROM human_labels WHERE metric <> ?", [REFERENCE_METRIC])
    }
    return [
        c
        for c in load_cases(store, dataset, version)
        if c.reference is None or (c.failure_kind is not None and c.case_id not in labelled)
    ]


def export_review(store: Store, settings: Settings, out: Path, version: int | None = None) -> int:
    """Write the cases needing review to `out` (.csv or .jsonl); return how many."""
    dataset = settings.cases.dataset
    version = version or _latest(store, dataset)
    rows = [_export_row(c, dataset, version) for c in needs_review(store, dataset, version)]
    columns = REQUIRED_COLUMNS[:1] + CONTEXT_COLUMNS + REQUIRED_COLUMNS[1:] + OPTIONAL_COLUMNS
    out.parent.mkdir(parents=True, exist_ok=True)
    if _kind(out) == "csv":
        with out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        out.write_text("".join(json.dumps({k: r[k] for k in columns}) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def _export_row(case: EvalCase, dataset: str, version: int) -> dict[str, Any]:
    examples = (case.evidence or {}).get("examples") or [{}]
    return {
        "case_id": case.case_id,
        "dataset": dataset,
        "version": version,
        "failure_kind": case.failure_kind or "",
        "tags": ";".join(case.tags),
        "question": case.question,
        "context": case.context or "",
        "production_output": examples[0].get("output") or "",
        "reference": case.reference or "",
        "label": "",
        "score": "",
        "annotator": "",
        "metric": DEFAULT_METRIC,
        "candidate_id": "production" if case.failure_kind else "",
        "notes": "",
    }


def import_review(store: Store, settings: Settings, path: Path, version: int | None = None) -> ImportResult:
    """Validate the whole file, then apply it in one transaction (see module doc)."""
    from paritylab.ingest.redact import Redactor

    dataset = settings.cases.dataset
    version = version or _latest(store, dataset)
    records = read_review_file(path)
    cases = {c.case_id: c for c in load_cases(store, dataset, version)}
    problems = _problems(records, cases)
    if problems:
        raise ReviewImportError(
            f"{path} was not imported ({len(problems)} problems)",
            problems,
            hint="fix the rows named above and import the file again",
        )
    scrub = Redactor(extra=dict(settings.ingest.redact_extra))
    filled = [(n, r) for n, r in records if any(_text(r, k) for k in ("reference", "label", "score"))]
    labels = _label_rows(filled, path, scrub)
    updated = dict(cases)
    for _, r in filled:
        if _text(r, "reference"):
            ref = scrub.redact(_text(r, "reference"))[0]
            updated[r["case_id"]] = updated[r["case_id"]].with_(reference=ref)

    def store_labels(s: Store) -> None:
        s.con.executemany("INSERT OR REPLACE INTO human_labels VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", labels)

    origin = {"kind": "review_import", "file": str(path), "labels": len(labels)}
    info = write_version(
        store,
        settings.cases.datasets_dir,
        dataset,
        list(updated.values()),
        parent=version,
        origin=origin,
        also=store_labels,
    )
    if info is None and labels:  # no reference changed: the labels alone, still all or nothing
        store.con.execute("BEGIN TRANSACTION")
        try:
            store_labels(store)
            store.con.execute("COMMIT")
        except Exception:
            store.con.execute("ROLLBACK")
            raise
    n_refs = sum(1 for _, r in filled if _text(r, "reference"))
    return ImportResult(len(records), len(labels) - n_refs, n_refs, len(records) - len(filled), info)


def read_review_file(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(line number, row) pairs; structural problems (format, columns) raise ReviewImportError."""
    if not path.exists():
        raise DatasetError(f"review file {path} does not exist", hint="check the path")
    if _kind(path) == "csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            columns = list(reader.fieldnames or [])
            records = [(f"row {i} (line {reader.line_num})", row) for i, row in enumerate(reader, 1)]
    else:
        records, columns, bad = [], [], []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    bad.append(f"line {n}: not JSON ({exc.msg})")
                    continue
                if not isinstance(row, dict):
                    bad.append(f"line {n}: not a JSON object")
                    continue
                columns += [k for k in row if k not in columns]
                records.append((f"line {n}", row))
        if bad:
            raise ReviewImportError(f"{path} was not imported", bad, hint="one JSON object per line")
    _check_columns(path, columns, records)
    return records


def _check_columns(path: Path, columns: list[str], records: list[tuple[str, dict[str, Any]]]) -> None:
    known = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS + CONTEXT_COLUMNS)
    problems = [f"missing column '{c}'" for c in REQUIRED_COLUMNS if c not in columns]
    problems += [f"unknown column '{c}'" for c in columns if c not in known]
    if _kind(path) == "jsonl":  # JSONL rows may each omit keys; every row must still name its case
        problems += [f"{n}: no 'case_id'" for n, r in records if "case_id" not in r and "case_id" in columns]
    if problems:
        raise ReviewImportError(
            f"{path} was not imported",
            problems,
            hint=f"the file needs the columns {', '.join(REQUIRED_COLUMNS)} (export one with "
            "`paritylab cases export`); optional: " + ", ".join(OPTIONAL_COLUMNS),
        )


def _problems(records: list[tuple[str, dict[str, Any]]], cases: dict[str, EvalCase]) -> list[str]:
    problems: list[str] = []
    first_line: dict[str, str] = {}
    for n, r in records:
        case_id = _text(r, "case_id")
        if not case_id:
            problems.append(f"{n}: empty case_id")
        elif case_id not in cases:
            problems.append(f"{n}: unknown case_id '{case_id}' (not in this dataset version)")
        elif case_id in first_line:
            problems.append(f"{n}: duplicate case_id '{case_id}' (first in {first_line[case_id]})")
        first_line.setdefault(case_id, n)
        score = _text(r, "score")
        if score:
            try:
                ok = 0.0 <= float(score) <= 1.0
            except ValueError:
                ok = False
            if not ok:
                problems.append(f"{n}: score '{score}' is not a number between 0 and 1")
    return problems


def _label_rows(filled: list[tuple[str, dict[str, Any]]], path: Path, scrub: Any) -> list[list[Any]]:
    now, rows = utcnow(), []
    for _, r in filled:
        annotator = _text(r, "annotator") or None
        if _text(r, "label") or _text(r, "score"):
            metric = _text(r, "metric") or DEFAULT_METRIC
            candidate = _text(r, "candidate_id") or None
            score = float(_text(r, "score")) if _text(r, "score") else None
            label = scrub.redact(_text(r, "label"))[0] or None
            rows.append(
                _label(
                    r["case_id"],
                    candidate,
                    metric,
                    label=label,
                    score=score,
                    annotator=annotator,
                    path=path,
                    now=now,
                )
            )
        if _text(r, "reference"):
            ref = scrub.redact(_text(r, "reference"))[0]
            rows.append(
                _label(
                    r["case_id"],
                    None,
                    REFERENCE_METRIC,
                    label=ref,
                    score=None,
                    annotator=annotator,
                    path=path,
                    now=now,
                )
            )
    return rows


def _label(
    case_id: str,
    candidate: str | None,
    metric: str,
    *,
    label: str | None,
    score: float | None,
    annotator: str | None,
    path: Path,
    now: Any,
) -> list[Any]:
    label_id = content_hash([case_id, candidate, metric, annotator], length=32)
    return [label_id, case_id, candidate, metric, label, score, annotator, str(path), now]


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _kind(path: Path) -> str:
    if path.suffix.lower() == ".csv":
        return "csv"
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl"
    raise DatasetError(f"{path}: review files are .csv or .jsonl", hint="rename the file or convert it")


def _latest(store: Store, dataset: str) -> int:
    version = latest_version(store, dataset)
    if version is None:
        raise DatasetError(f"dataset '{dataset}' has no versions", hint="run `paritylab cases mine` first")
    return version
