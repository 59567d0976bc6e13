"""The eval case: one row of `eval_cases`, one row of a dataset version on disk."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

# What makes two versions of a case different (created_at is when the case first appeared: not content).
CONTENT_FIELDS = (
    "question",
    "input_messages",
    "context",
    "reference",
    "tags",
    "failure_kind",
    "evidence",
    "origin_log_ids",
    "group_size",
)


@dataclass(frozen=True)
class EvalCase:
    case_id: str
    question: str
    input_messages: str | None = None  # JSON text [{"role", "content"}]
    context: str | None = None  # retrieved documents joined by blank lines
    reference: str | None = None
    tags: tuple[str, ...] = ()
    failure_kind: str | None = None
    evidence: dict[str, Any] | None = None
    origin_log_ids: tuple[str, ...] = ()
    group_size: int = 0
    created_at: datetime = field(default_factory=lambda: datetime(1970, 1, 1, tzinfo=UTC))

    def content(self) -> tuple[Any, ...]:
        return tuple(_comparable(getattr(self, name)) for name in CONTENT_FIELDS)

    def changed_fields(self, other: EvalCase) -> list[str]:
        return [
            name
            for name in CONTENT_FIELDS
            if _comparable(getattr(self, name)) != _comparable(getattr(other, name))
        ]

    def with_(self, **changes: Any) -> EvalCase:
        return replace(self, **changes)

    def to_row(self) -> dict[str, Any]:
        """The on-disk (Hugging Face / Parquet) row: JSON as text, timestamps as ISO 8601 UTC."""
        return {
            "case_id": self.case_id,
            "question": self.question,
            "input_messages": self.input_messages,
            "context": self.context,
            "reference": self.reference,
            "tags": list(self.tags),
            "failure_kind": self.failure_kind,
            "evidence": None if self.evidence is None else json.dumps(self.evidence, sort_keys=True),
            "origin_log_ids": list(self.origin_log_ids),
            "group_size": self.group_size,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_db(cls, row: dict[str, Any]) -> EvalCase:
        evidence = row["evidence"]
        return cls(
            case_id=row["case_id"],
            question=row["question"],
            input_messages=row["input_messages"],
            context=row["context"],
            reference=row["reference"],
            tags=tuple(row["tags"]),
            failure_kind=row["failure_kind"],
            evidence=json.loads(evidence) if isinstance(evidence, str) else evidence,
            origin_log_ids=tuple(row["origin_log_ids"]),
            group_size=int(row["group_size"]),
            created_at=row["created_at"],
        )


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value[:1] in "[{":
        try:  # JSON text compares by value, not by spacing
            return json.dumps(json.loads(value), sort_keys=True)
        except json.JSONDecodeError:
            return value
    return value


def hf_datasets() -> Any:
    """The Hugging Face `datasets` module. Imported by name: mypy would otherwise take the repo's own
    `datasets/` data folder (a namespace portion) for it."""
    import importlib

    return importlib.import_module("datasets")


def hf_features() -> Any:
    """The fixed schema of a version on disk, so all-null columns keep their type."""
    datasets = hf_datasets()

    text = datasets.Value("string")
    return datasets.Features(
        {
            "case_id": text,
            "question": text,
            "input_messages": text,
            "context": text,
            "reference": text,
            "tags": datasets.List(text),
            "failure_kind": text,
            "evidence": text,
            "origin_log_ids": datasets.List(text),
            "group_size": datasets.Value("int32"),
            "created_at": text,
        }
    )
