"""SQL helpers: quoting for SQL built from names and values (DuckDB rules: the quote character doubled
inside), and Python data handed to DuckDB as a named relation.

Arrow arrays from Python values are built by `int64_array` / `string_array`, not `pa.array`: the first
`pa.array` call of a process imports pandas (pyarrow checks whether the values are pandas objects), ~0.3
CPU-s that an ingest, which never needs pandas in its own process, paid on its critical path."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


def ident(name: str) -> str:
    """A double-quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A single-quoted string literal."""
    return "'" + value.replace("'", "''") + "'"


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: Any) -> Iterator[str]:
    """`data` (an Arrow table, a DataFrame) readable in SQL as `name` inside the block, and never after
    it: a name left registered would shadow the next relation registered under it."""
    con.register(name, data)
    try:
        yield name
    finally:
        con.unregister(name)


@contextlib.contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: str) -> Iterator[None]:
    """DuckDB setting `name` at `value` inside the block, its value before restored after, as DuckDB reads
    it back (a size to 0.1 MiB). Settings such as checkpoint_threshold are the database instance's: every
    connection to it sees them."""
    [(before,)] = con.execute("SELECT current_setting(?)", [name]).fetchall()
    con.execute(f"SET {name} = {literal(value)}")
    try:
        yield
    finally:
        con.execute(f"SET {name} = {literal(str(before))}")


def insert_ignore(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` by column name, skipping those whose key exists: a resumed step never duplicates."""
    if not rows:
        return
    import pyarrow as pa

    with registered(con, f"_paritylab_{table}_rows", pa.Table.from_pylist(rows)) as view:
        con.execute(f"INSERT OR IGNORE INTO {table} BY NAME SELECT * FROM {view}")


def int64_array(values: Any) -> pa.Array:
    """Python ints (or an int64 numpy array, shared, not copied) as an Arrow int64 array."""
    import numpy as np
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def string_array(values: Iterable[str | None]) -> pa.Array:
    """Python strings (None for NULL) as an Arrow string array."""
    import pyarrow as pa

    builder = pa.lib.StringBuilder()
    builder.append_values(list(values))
    return builder.finish()
