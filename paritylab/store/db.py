"""Opening the DuckDB file: wait briefly for another writer, then fail with a clear error."""

from __future__ import annotations

import re
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from paritylab.errors import StoreError, StoreLocked

if TYPE_CHECKING:
    import duckdb


class Store:
    """An open store. DuckDB allows one writing process per file, so hold it only while working."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self.con = con

    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, params)

    def rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts (for small results)."""
        cur = self.con.execute(sql, params)
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_store(path: Path, *, lock_timeout_s: float = 30.0, read_only: bool = False) -> Store:
    """Open (creating if needed) and migrate the store at `path`."""
    from paritylab.store.migrations import migrate

    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise StoreError(f"store {path} does not exist", hint="run a command that writes it first")
    store = Store(path, _connect_waiting(path, lock_timeout_s, read_only))
    if not read_only:
        migrate(store)
    return store


def _connect_waiting(path: Path, timeout_s: float, read_only: bool) -> duckdb.DuckDBPyConnection:
    import duckdb

    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise StoreError(
                    f"cannot open store {path}: {exc}", hint="check the path and permissions"
                ) from exc
            if time.monotonic() >= deadline:
                raise _locked_error(path, str(exc), timeout_s) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _locked_error(path: Path, detail: str, waited_s: float) -> StoreLocked:
    pid = re.search(r"PID (\d+)", detail)
    holder = f"process {pid.group(1)}" if pid else "another process"
    return StoreLocked(
        f"store {path} is being written by {holder}; waited {waited_s:.1f} s for it to finish",
        hint="wait for that run to end, raise store_lock_timeout_s, or use another file "
        "with --store PATH / PARITYLAB_STORE",
    )
