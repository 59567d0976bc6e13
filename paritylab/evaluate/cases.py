"""Reading eval cases of one dataset version from the `eval_cases` table."""

from __future__ import annotations

import re
from dataclasses import dataclass

from paritylab.errors import DatasetError
from paritylab.store import Store


@dataclass(frozen=True)
class EvalCase:
    case_id: str
    question: str
    context: str | None
    reference: str | None
    tags: tuple[str, ...]
    failure_kind: str | None = None

    @property
    def breakdown_tags(self) -> tuple[str, ...]:
        """The tags the parity breakdown groups by: the case's tags and its failure kind."""
        extra = (self.failure_kind,) if self.failure_kind and self.failure_kind not in self.tags else ()
        return (*self.tags, *extra)


@dataclass(frozen=True)
class DatasetRef:
    name: str
    version: int | None  # None: the latest version

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@v{self.version}"


def parse_dataset_ref(text: str) -> DatasetRef:
    """'golden' (latest version), 'golden@v3' or 'golden@3'."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(?:@v?(\d+))?\s*", text)
    if not match:
        raise DatasetError(
            f"'{text}' is not a dataset reference", hint="write NAME or NAME@vN, e.g. golden@v2"
        )
    return DatasetRef(match.group(1), int(match.group(2)) if match.group(2) else None)


def resolve_version(store: Store, ref: DatasetRef) -> int:
    """The version to use: the one asked for, or the latest; a clear error when there is none."""
    versions = [
        r["version"]
        for r in store.rows(
            "SELECT DISTINCT version FROM eval_cases WHERE dataset = ? ORDER BY 1", [ref.name]
        )
    ]
    if not versions:
        known = [r["dataset"] for r in store.rows("SELECT DISTINCT dataset FROM eval_cases ORDER BY 1")]
        raise DatasetError(
            f"dataset '{ref.name}' has no cases in {store.path}",
            hint=f"known datasets: {', '.join(known) or 'none'}; build or seed the dataset first "
            "(or pass --dataset NAME@vN)",
        )
    if ref.version is None:
        return int(versions[-1])
    if ref.version not in versions:
        raise DatasetError(
            f"dataset '{ref.name}' has no version {ref.version}",
            hint=f"available versions: {', '.join(f'v{v}' for v in versions)}",
        )
    return ref.version


def read_cases(store: Store, dataset: str, version: int) -> list[EvalCase]:
    """The cases of one version, in case_id order (stable across runs)."""
    rows = store.rows(
        "SELECT case_id, question, context, reference, tags, failure_kind FROM eval_cases "
        "WHERE dataset = ? AND version = ? ORDER BY case_id",
        [dataset, version],
    )
    if not rows:
        raise DatasetError(f"dataset {dataset}@v{version} has no cases", hint="check the dataset and version")
    return [
        EvalCase(
            r["case_id"],
            r["question"],
            r["context"],
            r["reference"],
            tuple(r["tags"] or ()),
            r["failure_kind"],
        )
        for r in rows
    ]
