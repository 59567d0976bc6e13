"""SQL helpers: quoting for SQL built from names and values (DuckDB rules: the quote character doubled
inside), and Python data handed to DuckDB as a named relation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


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


def insert_ignore(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` by column name, skipping those whose key exists: a resumed step never duplicates."""
    if not rows:
        return
    import pyarrow as pa

    with registered(con, f"_paritylab_{table}_rows", pa.Table.from_pylist(rows)) as view:
        con.execute(f"INSERT OR IGNORE INTO {table} BY NAME SELECT * FROM {view}")
