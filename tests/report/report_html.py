"""Reading a rendered report back: table cells by row attributes and cell class (stdlib html.parser)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _Cells(HTMLParser):
    """Collects every <tr>'s data-* attributes and the text of its classed cells, per enclosing table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict[str, Any]] = []
        self.kpis: dict[str, str] = {}  # text of classed <b> elements outside tables (the KPI tiles)
        self.attrs_seen: list[tuple[str, str, str | None]] = []  # (tag, attribute, value) of every element
        self._table: list[dict[str, str | None]] = []
        self._row: dict[str, Any] | None = None
        self._cell: list[Any] = []  # stack of (class, depth, text parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.attrs_seen += [(tag, k, v) for k, v in attrs]
        if tag == "table":
            self._table.append(a)
        elif tag == "tr":
            table = self._table[-1] if self._table else {}
            data = {k[5:]: v for k, v in [*table.items(), *a.items()] if k.startswith("data-")}
            self._row = {"table": table.get("id") or table.get("class"), "cells": {}, **data}
            self.rows.append(self._row)
        elif tag in ("td", "b") and a.get("class"):
            self._cell.append([a["class"], []])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._table:
            self._table.pop()
        elif tag in ("td", "b") and self._cell:
            cls, parts = self._cell.pop()
            text = " ".join("".join(parts).split())
            target = self._row["cells"] if self._row is not None and tag == "td" else self.kpis
            for c in cls.split():
                target[c] = text

    def handle_data(self, data: str) -> None:
        for cell in self._cell:
            cell[1].append(data)


def parse(html: str) -> _Cells:
    parser = _Cells()
    parser.feed(html)
    return parser


def row(parsed: _Cells, table: str, **keys: str) -> dict[str, str]:
    """The cells of the one row of `table` whose data-* attributes match `keys`."""
    found = [r for r in parsed.rows if r["table"] == table and all(r.get(k) == v for k, v in keys.items())]
    assert len(found) == 1, f"{len(found)} rows in {table} match {keys}"
    return dict(found[0]["cells"])
