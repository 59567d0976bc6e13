"""Batch writes of plain dict rows: INSERT OR IGNORE (resumable stages) through Arrow."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from paritylab.store import Store

T = TypeVar("T")
# (stage, how many more are done, total): the CLI turns it into progress bars.
Progress = Callable[[str, int, int], None]


def insert_ignore(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping those whose key exists: a resumed stage never duplicates a row."""
    if not rows:
        return
    import pyarrow as pa

    view = f"_paritylab_{table}_rows"
    store.con.register(view, pa.Table.from_pylist(rows))
    try:
        store.execute(f"INSERT OR IGNORE INTO {table} BY NAME SELECT * FROM {view}")
    finally:
        store.con.unregister(view)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
