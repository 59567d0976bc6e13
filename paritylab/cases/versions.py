"""Dataset versions: append-only snapshots on disk (Hugging Face `save_to_disk` + Parquet) and in DuckDB.

Order of a write, so a crash leaves nothing half-applied: build the dataset in memory and fingerprint it,
write it to a temporary folder, move it to `<dir>/<name>/v<N>/`, then insert the version row and every
case row in one transaction. A folder without a DuckDB row is debris of a crash and is replaced on the
next write of that version number; a DuckDB row always points at a complete folder.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paritylab.cases.model import EvalCase, hf_datasets, hf_features
from paritylab.errors import DatasetError
from paritylab.store.db import Store
from paritylab.store.ledger import utcnow
from paritylab.store.sql import registered

PARQUET_NAME = "cases.parquet"


@dataclass
class VersionInfo:
    dataset: str
    version: int
    parent_version: int | None
    fingerprint: str
    n_cases: int
    n_added: int
    n_removed: int
    n_changed: int
    path: str
    parquet_path: str
    origin: dict[str, Any] = field(default_factory=dict)


@dataclass
class VersionDiff:
    dataset: str
    version_a: int
    version_b: int
    added: list[EvalCase]
    removed: list[EvalCase]
    changed: list[tuple[EvalCase, EvalCase, list[str]]]  # (in a, in b, fields that differ)


def latest_version(store: Store, dataset: str) -> int | None:
    """The newest version number of `dataset`, or None if it has none yet."""
    [(latest,)] = store.con.execute(
        "SELECT max(version) FROM dataset_versions WHERE dataset = ?", [dataset]
    ).fetchall()
    return None if latest is None else int(latest)


def load_version_cases(store: Store, dataset: str, version: int) -> list[dict[str, Any]]:
    """The `eval_cases` rows of one version (ordered by case_id); a missing version is a DatasetError."""
    _require_version(store, dataset, version)
    return store.rows(
        "SELECT * FROM eval_cases WHERE dataset = ? AND version = ? ORDER BY case_id", [dataset, version]
    )


def load_cases(store: Store, dataset: str, version: int) -> list[EvalCase]:
    return [EvalCase.from_db(r) for r in load_version_cases(store, dataset, version)]


def version_info(store: Store, dataset: str, version: int) -> dict[str, Any]:
    return _require_version(store, dataset, version)


def _require_version(store: Store, dataset: str, version: int) -> dict[str, Any]:
    rows = store.rows("SELECT * FROM dataset_versions WHERE dataset = ? AND version = ?", [dataset, version])
    if not rows:
        known = [
            r["version"]
            for r in store.rows(
                "SELECT version FROM dataset_versions WHERE dataset = ? ORDER BY version", [dataset]
            )
        ]
        raise DatasetError(
            f"dataset '{dataset}' has no version {version}"
            + (f" (versions: {', '.join(f'v{v}' for v in known)})" if known else " (it has no versions)"),
            hint="list them with `paritylab cases list`; seed v1 with `paritylab cases mine` or seed_golden",
        )
    return rows[0]


def diff_cases(old: list[EvalCase], new: list[EvalCase]) -> tuple[list[EvalCase], list[EvalCase], list[Any]]:
    """(added, removed, changed) going from `old` to `new`, matched by case_id."""
    before = {c.case_id: c for c in old}
    after = {c.case_id: c for c in new}
    added = [c for k, c in after.items() if k not in before]
    removed = [c for k, c in before.items() if k not in after]
    changed = [
        (before[k], c, before[k].changed_fields(c))
        for k, c in after.items()
        if k in before and before[k].content() != c.content()
    ]
    return added, removed, changed


def diff_versions(store: Store, dataset: str, version_a: int, version_b: int) -> VersionDiff:
    """Cases added, removed and changed from version_a to version_b."""
    a, b = load_cases(store, dataset, version_a), load_cases(store, dataset, version_b)
    added, removed, changed = diff_cases(a, b)
    return VersionDiff(dataset, version_a, version_b, added, removed, changed)


def write_version(
    store: Store,
    datasets_dir: Path,
    dataset: str,
    cases: list[EvalCase],
    *,
    parent: int | None,
    origin: dict[str, Any],
    also: Callable[[Store], None] | None = None,
) -> VersionInfo | None:
    """Append a version holding exactly `cases`; None (and nothing written) if it equals the parent.
    `also` runs inside the same transaction (e.g. the human labels of a review import)."""
    cases = sorted(cases, key=lambda c: c.case_id)
    _check_unique(cases)
    old = load_cases(store, dataset, parent) if parent is not None else []
    added, removed, changed = diff_cases(old, cases)
    if parent is not None and not (added or removed or changed):
        return None
    version = (latest_version(store, dataset) or 0) + 1
    folder = datasets_dir / dataset / f"v{version}"
    ds, fingerprint = _materialise(cases)
    _save(ds, folder, owner=str(Path(store.path).resolve()))
    info = VersionInfo(
        dataset,
        version,
        parent,
        fingerprint,
        len(cases),
        len(added),
        len(removed),
        len(changed),
        str(folder),
        str(folder / PARQUET_NAME),
        origin,
    )
    try:
        _insert(store, info, ds, also)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return info


def _check_unique(cases: list[EvalCase]) -> None:
    dupes = sorted(k for k, n in Counter(c.case_id for c in cases).items() if n > 1)
    if dupes:
        raise DatasetError(
            f"{len(dupes)} case ids appear twice in one version: {', '.join(dupes[:5])}",
            hint="two cases normalise to the same question; keep one of them",
        )


def _materialise(cases: list[EvalCase]) -> tuple[Any, str]:
    import importlib

    import pyarrow as pa

    datasets = hf_datasets()
    hasher = importlib.import_module("datasets.fingerprint").Hasher
    features = hf_features()
    table = pa.Table.from_pylist([c.to_row() for c in cases], schema=features.arrow_schema)
    ds = datasets.Dataset(table, info=datasets.DatasetInfo(features=features))
    return ds, str(hasher.hash(ds.data.table))


OWNER_FILE = ".paritylab-store"  # which store's dataset_versions row this folder belongs to


def _save(ds: Any, folder: Path, owner: str) -> None:
    hf_utils = hf_datasets().utils
    tmp = folder.parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    quiet = hf_utils.are_progress_bars_disabled()
    hf_utils.disable_progress_bars()
    try:
        ds.save_to_disk(str(tmp))
        ds.to_parquet(str(tmp / PARQUET_NAME))
        (tmp / OWNER_FILE).write_text(owner + "\n", encoding="utf-8")
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if not quiet:
            hf_utils.enable_progress_bars()
    if folder.exists():
        _clear_debris(folder, owner, tmp)
    tmp.rename(folder)


def _clear_debris(folder: Path, owner: str, tmp: Path) -> None:
    """An existing folder is debris of a crash of this store (no row of ours names that number yet) and
    may go; a folder another store wrote must not be overwritten under that store's feet."""
    marker = folder / OWNER_FILE
    other = marker.read_text(encoding="utf-8").strip() if marker.is_file() else owner
    if other != owner:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DatasetError(
            f"{folder} already holds a dataset version written by another store ({other})",
            hint="give each store its own [cases] datasets_dir (e.g. PARITYLAB_CASES__DATASETS_DIR), "
            "or delete that folder if its store is gone",
        )
    shutil.rmtree(folder)


def _insert(store: Store, info: VersionInfo, ds: Any, also: Callable[[Store], None] | None) -> None:
    con = store.con
    with registered(con, "version_rows", ds.data.table):
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT INTO dataset_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    info.dataset,
                    info.version,
                    info.parent_version,
                    info.fingerprint,
                    info.n_cases,
                    info.n_added,
                    info.n_removed,
                    info.n_changed,
                    info.path,
                    info.parquet_path,
                    json.dumps(info.origin),
                    utcnow(),
                ],
            )
            con.execute(
                """INSERT INTO eval_cases
                   SELECT ?, ?, case_id, question, input_messages::JSON, context, reference, tags,
                          failure_kind, evidence::JSON, origin_log_ids, group_size, created_at::TIMESTAMPTZ
                   FROM version_rows""",
                [info.dataset, info.version],
            )
            if also is not None:
                also(store)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def list_versions(store: Store, dataset: str | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE dataset = ?", [dataset]) if dataset else ("", [])
    return store.rows(
        f"""SELECT dataset, version, parent_version, n_cases, n_added, n_removed, n_changed,
                   left(fingerprint, 16) AS fingerprint, path, origin ->> 'kind' AS made_by, created_at
            FROM dataset_versions {where} ORDER BY dataset, version""",
        params,
    )
