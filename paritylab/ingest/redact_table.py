"""`Redactor.redact_table`: the same redaction as `Redactor.redact`, in bulk, over a DuckDB table.

Only rows that match some kind are copied to a TEMP work table: regex stages run there as RE2 UPDATEs;
for checksum stages (IBAN, card) RE2 finds the candidates and Python only verifies their checksums;
passes repeat until stable, as in `Redactor.redact`. The table itself is written once, at the end,
and only where a value changed.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import TYPE_CHECKING

from paritylab.errors import ConfigError, IngestError
from paritylab.ingest.redact import MAX_PASSES, Stage, longest_valid_prefix, union_pattern
from paritylab.store.sql import ident, literal

if TYPE_CHECKING:
    import duckdb


class TableRedaction:
    """A bulk redaction in two steps. Creating it copies the rows that match some kind to a TEMP work
    table (one RE2 scan of every value); `finish` redacts them there and writes the table once. Between
    the two, rows may leave (`drop_rows`): the ingest drops the rows Great Expectations rejected, having
    run GX beside that first scan. A context manager: the work table never outlives it."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        columns: list[str],
        stages: tuple[Stage, ...],
        *,
        extras: tuple[Stage, ...] = (),
    ) -> None:
        self._con, self._ref, self._stages = con, _table_ref(table), stages
        self._cols = [ident(c) for c in columns]
        _check_columns(con, self._ref, table, columns)
        _check_extras_in_duckdb(con, extras)
        self._work = ident(f"_paritylab_redact_{uuid.uuid4().hex[:12]}") if self._cols else None
        self._union = literal(union_pattern(stages))
        if self._work is None:
            return
        any_hit = " OR ".join(f"regexp_matches({c}, {self._union})" for c in self._cols)
        # _pl_n<i>: matches of stage i per row; _pl_p<j>: column j as the current pass found it.
        extra_cols = [f"0::BIGINT AS _pl_n{i}" for i in range(len(stages))]
        extra_cols += [f"{c} AS _pl_p{j}" for j, c in enumerate(self._cols)] + ["true AS _pl_active"]
        con.execute(
            f"CREATE TEMP TABLE {self._work} AS SELECT rowid AS _pl_rid, {', '.join(self._cols)}, "
            f"{', '.join(extra_cols)} FROM {self._ref} WHERE {any_hit}"
        )

    def __enter__(self) -> TableRedaction:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._work is not None:
            self._con.execute(f"DROP TABLE IF EXISTS {self._work}")

    def drop_rows(self, rowids: str) -> None:
        """Forget the rows whose rowid `rowids` (a SELECT) yields: they will not be redacted or counted."""
        if self._work is not None:
            self._con.execute(f"DELETE FROM {self._work} WHERE _pl_rid IN ({rowids})")

    def finish(self) -> Counter[str]:
        """Redact the rows in the work table, write back the values that changed; the counts per kind."""
        if self._work is None:
            return Counter()
        con, work, cols = self._con, self._work, self._cols
        try:
            counts = _redact_work(con, work, cols, self._stages, self._union)
            sets = ", ".join(f"{c} = w.{c}" for c in cols)
            changed = " OR ".join(f"t.{c} IS DISTINCT FROM w.{c}" for c in cols)
            con.execute(
                f"UPDATE {self._ref} AS t SET {sets} FROM {work} AS w "
                f"WHERE t.rowid = w._pl_rid AND ({changed})"
            )
        finally:
            con.execute(f"DROP TABLE IF EXISTS {work}")
        return counts


def redact_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    stages: tuple[Stage, ...],
    *,
    extras: tuple[Stage, ...] = (),
) -> Counter[str]:
    """Redact VARCHAR `columns` of `table` in place with `stages`; the counts per kind. `extras` are
    the configured patterns, checked against DuckDB's RE2 first."""
    with TableRedaction(con, table, columns, stages, extras=extras) as job:
        return job.finish()


def _check_extras_in_duckdb(con: duckdb.DuckDBPyConnection, extras: tuple[Stage, ...]) -> None:
    import duckdb

    for stage in extras:
        try:
            con.execute(f"SELECT regexp_matches('', {literal(stage.pattern)})")
        except duckdb.Error as exc:
            raise ConfigError(
                f"extra PII pattern {stage.kind!r} ({stage.pattern!r}) is rejected by DuckDB: {exc}",
                hint="rewrite it in the syntax RE2 and Python share",
            ) from exc


def _table_ref(table: str) -> str:
    return ".".join(ident(part) for part in table.split("."))


def _check_columns(con: duckdb.DuckDBPyConnection, ref: str, table: str, columns: list[str]) -> None:
    import duckdb

    selected = ", ".join(ident(c) for c in columns) or "1"
    try:
        types = [str(t) for t in con.sql(f"SELECT {selected} FROM {ref} LIMIT 0").types]
    except duckdb.Error as exc:
        raise IngestError(
            f"cannot redact {table}{columns}: {exc}", hint="check the table and column names"
        ) from exc
    if bad := [f"{c} ({t})" for c, t in zip(columns, types, strict=False) if t != "VARCHAR"]:
        raise IngestError(
            f"cannot redact {table}: only VARCHAR columns hold text, not {', '.join(bad)}",
            hint="pass only the text columns (e.g. input_text, output_text)",
        )


def _redact_work(
    con: duckdb.DuckDBPyConnection, work: str, cols: list[str], stages: tuple[Stage, ...], union: str
) -> Counter[str]:
    """Passes over the work table, as `Redactor.redact` makes them, then the counts per kind."""
    counts: Counter[str] = Counter()
    for _ in range(MAX_PASSES):
        _one_pass(con, work, cols, stages, counts)
        if not _next_pass(con, work, cols, union):
            break
    tallies = ", ".join(f"sum(_pl_n{i})" for i in range(len(stages)))
    sums = con.execute(f"SELECT {tallies} FROM {work}").fetchone()
    for stage, n in zip(stages, sums or (), strict=False):
        counts[stage.kind] += int(n or 0)
    return +counts  # drop zero counts, like the Python path


def _one_pass(
    con: duckdb.DuckDBPyConnection,
    work: str,
    cols: list[str],
    stages: tuple[Stage, ...],
    counts: Counter[str],
) -> None:
    """All stages in order over the active rows: regex stages in SQL, checksum stages with Python's help."""
    for i, stage in enumerate(stages):
        if stage.valid is None:
            _sql_stage(con, work, cols, stage, f"_pl_n{i}")
        else:
            counts.update(_checksum_stage(con, work, cols, stage))


def _next_pass(con: duckdb.DuckDBPyConnection, work: str, cols: list[str], union: str) -> bool:
    """Keep active only the rows this pass changed that still match some kind (what `redact` retries)."""
    changed = " OR ".join(f"{c} IS DISTINCT FROM _pl_p{j}" for j, c in enumerate(cols))
    again = " OR ".join(f"coalesce(regexp_matches({c}, {union}), false)" for c in cols)
    copy = ", ".join(f"_pl_p{j} = {c}" for j, c in enumerate(cols))
    con.execute(f"UPDATE {work} SET _pl_active = ({changed}) AND ({again}), {copy} WHERE _pl_active")
    row = con.execute(f"SELECT count(*) FROM {work} WHERE _pl_active").fetchone()
    return bool(row and row[0])


def _sql_stage(con: duckdb.DuckDBPyConnection, work: str, cols: list[str], stage: Stage, tally: str) -> None:
    """One UPDATE: SET expressions all read the old row, so the tally counts what the replace removes."""
    pattern, repl = literal(stage.pattern), literal(stage.replacement)
    hit = " OR ".join(f"regexp_matches({c}, {pattern})" for c in cols)
    n_expr = " + ".join(f"coalesce(len(regexp_extract_all({c}, {pattern})), 0)" for c in cols)
    sets = ", ".join(f"{c} = regexp_replace({c}, {pattern}, {repl}, 'g')" for c in cols)
    con.execute(f"UPDATE {work} SET {tally} = {tally} + {n_expr}, {sets} WHERE _pl_active AND ({hit})")


def _checksum_stage(con: duckdb.DuckDBPyConnection, work: str, cols: list[str], stage: Stage) -> Counter[str]:
    """RE2 finds the stage's matches in DuckDB; Python places each one (an anchored match, no scan),
    checks its checksum (cached) and joins. A value whose scan is not plain (a candidate not valid as a
    whole, where the exact scan retries inside it) is redone by `Stage.apply`, the Python scan itself."""
    pattern = literal(f"({stage.blocker})|{stage.pattern}" if stage.blocker else stage.pattern)
    hits = {c: f"regexp_matches({c}, {pattern})" for c in cols}
    cells = ", ".join(
        f"CASE WHEN {hit} THEN [{c}] || regexp_extract_all({c}, {pattern}) END" for c, hit in hits.items()
    )
    rows = con.execute(
        f"SELECT _pl_rid, {cells} FROM {work} WHERE _pl_active AND ({' OR '.join(hits.values())})"
    )
    counts: Counter[str] = Counter()
    changed: list[tuple[object, ...]] = []
    for rid, *found in rows.fetchall():
        new: list[str | None] = []
        for value_and_matches in found:
            if value_and_matches is None:  # no candidate in this column: unchanged
                new.append(None)
                continue
            value, matches = value_and_matches[0], value_and_matches[1:]
            text, n = _joined(stage, value, matches) or stage.apply(value)
            counts[stage.kind] += n
            new.append(text if text != value else None)
        if any(v is not None for v in new):
            changed.append((rid, *new))
    if changed:
        _write_back(con, work, cols, changed)
    return counts


def _joined(stage: Stage, value: str, matches: list[str]) -> tuple[str, int] | None:
    """The stage's result from RE2's matches, or None when only the exact scan can tell.

    Each match is placed at the first occurrence of its text and confirmed there by an anchored match of
    the same pattern (were it an earlier place than RE2's, RE2 would have matched there: leftmost). The
    result equals `Stage.apply` as long as every candidate is a blocker or valid as a whole: the scan then
    resumes where the match ends, as RE2's next match does."""
    out, pos, count = [], 0, 0
    for match in matches:
        at = value.find(match, pos)
        m = stage.regex.match(value, at) if at >= 0 else None
        if m is None or m.group() != match:
            return None
        out.append(value[pos:at])
        if stage.blocker and m.group("blocker") is not None:
            out.append(match)
        elif stage.valid is not None and longest_valid_prefix(match, stage.valid) == len(match):
            out.append(stage.replacement)
            count += 1
        else:
            return None
        pos = at + len(match)
    out.append(value[pos:])
    return "".join(out), count


def _write_back(
    con: duckdb.DuckDBPyConnection, work: str, cols: list[str], rows: list[tuple[object, ...]]
) -> None:
    """UPDATE ... FROM parallel lists zipped by unnest: no temporary table, no pyarrow. None means
    "unchanged": redaction never turns text into NULL."""
    unnest = ", ".join(
        ["unnest(?::BIGINT[]) AS rid"] + [f"unnest(?::VARCHAR[]) AS c{i}" for i in range(len(cols))]
    )
    sets = ", ".join(f"{c} = coalesce(n.c{i}, {c})" for i, c in enumerate(cols))
    con.execute(
        f"UPDATE {work} SET {sets} FROM (SELECT {unnest}) AS n WHERE {work}._pl_rid = n.rid",
        [list(column) for column in zip(*rows, strict=True)],
    )
