"""Quoting for SQL built from names and values (DuckDB rules: the quote character doubled inside)."""

from __future__ import annotations


def ident(name: str) -> str:
    """A double-quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A single-quoted string literal."""
    return "'" + value.replace("'", "''") + "'"
