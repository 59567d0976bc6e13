"""Human review round-trip: export, fill, import; every import error is clear and nothing half-applies."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from paritylab.cases import latest_version, load_version_cases, mine_failures
from paritylab.cases.review import export_review, import_review
from paritylab.config import Settings
from paritylab.errors import ReviewImportError
from paritylab.store import Store


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns or list(rows[0]), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def exported(sample_store: Store, settings: Settings, tmp_path: Path) -> list[dict[str, Any]]:
    mine_failures(sample_store, settings)
    out = tmp_path / "review.csv"
    n = export_review(sample_store, settings, out)
    rows = _read(out)
    assert n == len(rows) > 0 and all(r["reference"] == "" for r in rows if "golden" not in r["tags"])
    return rows


def _state(db: Store) -> tuple[int, int]:
    [labels] = db.rows("SELECT count(*) AS n FROM human_labels")
    [versions] = db.rows("SELECT count(*) AS n FROM dataset_versions")
    return labels["n"], versions["n"]


def test_filled_review_is_imported_as_labels_and_a_new_version(
    sample_store: Store, settings: Settings, exported: list[dict[str, Any]], tmp_path: Path
) -> None:
    rows = exported[:3]
    rows[0] |= {
        "reference": "Refunds take 5 to 10 business days. Mail me at jane@example.com",
        "label": "fail",
        "score": "0.2",
        "annotator": "ann",
    }
    rows[1] |= {"label": "pass", "score": "1"}
    path = _write(tmp_path / "filled.csv", rows)
    result = import_review(sample_store, settings, path)
    assert (result.rows, result.labels, result.references, result.unreviewed) == (3, 2, 1, 1)
    assert result.version is not None and result.version.n_changed == 1
    cases = {
        c["case_id"]: c
        for c in load_version_cases(sample_store, settings.cases.dataset, result.version.version)
    }
    assert cases[rows[0]["case_id"]]["reference"] == "Refunds take 5 to 10 business days. Mail me at [EMAIL]"
    labels = sample_store.rows(
        "SELECT case_id, candidate_id, metric, label, score FROM human_labels ORDER BY score"
    )
    assert {(r["metric"], r["label"], r["score"]) for r in labels} == {
        ("human_verdict", "fail", 0.2),
        ("human_verdict", "pass", 1.0),
        ("reference", "Refunds take 5 to 10 business days. Mail me at [EMAIL]", None),
    }
    before = _state(sample_store)
    again = import_review(sample_store, settings, path)  # the same file again: nothing new
    assert again.version is None and _state(sample_store) == before


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rows: rows[0].update(case_id="c-does-not-exist"), "unknown case_id 'c-does-not-exist'"),
        (
            lambda rows: rows[1].update(case_id=rows[0]["case_id"]),
            r"row 2 \(line \d+\): duplicate case_id .* \(first in row 1",
        ),
        (lambda rows: rows[0].update(score="1.5"), "score '1.5' is not a number between 0 and 1"),
        (lambda rows: rows[0].update(score="good"), "score 'good' is not a number"),
    ],
)
def test_bad_rows_are_reported_and_nothing_is_applied(
    sample_store: Store,
    settings: Settings,
    exported: list[dict[str, Any]],
    tmp_path: Path,
    mutate: Any,
    message: str,
) -> None:
    rows = [r | {"label": "pass", "reference": "A reference."} for r in exported[:3]]
    mutate(rows)
    before = _state(sample_store)
    with pytest.raises(ReviewImportError, match=message):
        import_review(sample_store, settings, _write(tmp_path / "bad.csv", rows))
    assert _state(sample_store) == before  # nothing half-applied


def test_missing_and_misspelt_columns_are_named(
    sample_store: Store, settings: Settings, exported: list[dict[str, Any]], tmp_path: Path
) -> None:
    rows = [{"case_id": r["case_id"], "refrence": "x", "label": "pass"} for r in exported[:2]]
    with pytest.raises(ReviewImportError) as err:
        import_review(sample_store, settings, _write(tmp_path / "cols.csv", rows))
    assert err.value.problems == ["missing column 'reference'", "unknown column 'refrence'"]
    assert "paritylab cases export" in str(err.value)


def test_jsonl_review_files_round_trip_and_reject_non_objects(
    sample_store: Store, settings: Settings, tmp_path: Path
) -> None:
    mine_failures(sample_store, settings)
    out = tmp_path / "review.jsonl"
    export_review(sample_store, settings, out)
    first = json.loads(out.read_text().splitlines()[0])
    filled = tmp_path / "filled.jsonl"
    filled.write_text(json.dumps(first | {"label": "fail", "score": 0}) + "\n")
    result = import_review(sample_store, settings, filled)
    assert result.labels == 1 and result.version is None  # a label alone makes no new version
    assert latest_version(sample_store, settings.cases.dataset) == 2
    filled.write_text(json.dumps(first) + "\n[1, 2]\n")
    with pytest.raises(ReviewImportError, match="line 2: not a JSON object"):
        import_review(sample_store, settings, filled)
