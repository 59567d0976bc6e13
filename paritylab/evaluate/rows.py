"""Batch writes of plain dict rows: INSERT OR IGNORE (resumable stages) through Arrow."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
# (stage, how many more are done, total): the CLI turns it into progress bars.
Progress = Callable[[str, int, int], None]


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
