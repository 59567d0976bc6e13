"""`Redactor.redact_table`: the same redaction as `Redactor.redact`, in bulk, over a DuckDB table.

Only rows that match some kind are copied to a work table: regex stages run there as RE2 UPDATEs; for
checksum stages (IBAN, card) RE2 finds the candidates and Python only verifies their checksums; passes
repeat until stable, as in `Redactor.redact`. The table itself is written once, at the end, and only
where a value changed.

A large work table is split into parts redacted side by side, one thread and cursor each: DuckDB works
on one row group (122,880 rows) per thread, so the thousands of rows with PII in a big batch would
otherwise keep one core busy and the others idle. The parts live in an in-memory database attached to
the connection (`SCRATCH`): a TEMP table is its own connection's alone, and the text must not reach the
store's file. A small work table, or one made inside an open transaction, stays one TEMP table.
"""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from paritylab.errors import ConfigError, IngestError
from paritylab.ingest.redact import MAX_PASSES, Stage, longest_valid_prefix, union_pattern
from paritylab.store.sql import ident, int64_array, literal, registered, string_array

if TYPE_CHECKING:
    import duckdb

SCRATCH = "paritylab_scratch"
# Fewer rows per part than this and a part's fixed costs (a statement per stage) outweigh the thread.
PART_MIN_ROWS = 2048


class TableRedaction:
    """A bulk redaction in steps. Creating it copies the rows that match some kind to work tables
    (one RE2 scan of every value); `redact` redacts them there, counting per row; `finish` sums the
    counts and writes the table once. Until `finish`, rows may leave (`drop_rows`), their counts with
    them: the ingest drops the rows Great Expectations rejected, having run GX beside the redaction.
    A context manager: the work tables never outlive it. `parts`: how many work tables (threads); by
    default one per DuckDB thread, with at least PART_MIN_ROWS rows each; always one inside an open
    transaction, whose tables other connections cannot see. `group`: a SQL expression over the table's
    columns (an integer) by which `group_counts` splits the counts, as `finish` leaves them."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        columns: list[str],
        stages: tuple[Stage, ...],
        *,
        extras: tuple[Stage, ...] = (),
        parts: int | None = None,
        group: str = "0",
    ) -> None:
        self._con, self._ref, self._stages = con, _table_ref(table), stages
        self.group_counts: dict[int, Counter[str]] = {}
        self._cols = [ident(c) for c in columns]
        _check_columns(con, self._ref, table, columns)
        _check_extras_in_duckdb(con, extras)
        self._union = literal(union_pattern(stages))
        self._redacted = False
        self._parts: list[str] = []
        if self._cols:
            self._parts = _work_parts(
                con, self._ref, self._cols, self._union, n_stages=len(stages), parts=parts, group=group
            )

    def __enter__(self) -> TableRedaction:
        return self

    def __exit__(self, *exc: object) -> None:
        self._drop_parts()

    def drop_rows(self, rowids: str) -> None:
        """Forget the rows whose rowid `rowids` (a SELECT) yields: they are not written back or counted."""
        for part in self._parts:
            self._con.execute(f"DELETE FROM {part} WHERE _pl_rid IN ({rowids})")

    def redact(self) -> None:
        """Redact the rows in the work tables (the table itself is not written yet)."""
        if self._redacted or not self._parts:
            return
        if len(self._parts) == 1:
            _redact_work(self._con, self._parts[0], self._cols, self._stages, self._union)
        else:
            with ThreadPoolExecutor(len(self._parts), thread_name_prefix="paritylab-redact") as pool:
                done = [pool.submit(self._redact_part, part) for part in self._parts]
                for future in done:
                    future.result()  # the first error, if any, is raised here
        self._redacted = True

    def finish(self) -> Counter[str]:
        """Redact (unless done), write back the values that changed; the counts per kind of the rows
        still in the work tables (per group: `group_counts`)."""
        if not self._parts:
            return Counter()
        con, cols = self._con, self._cols
        try:
            self.redact()
            work = " UNION ALL ".join(f"SELECT * FROM {part}" for part in self._parts)
            self.group_counts = _tallies(con, f"({work})", self._stages)
            counts = sum(self.group_counts.values(), Counter[str]())
            sets = ", ".join(f"{c} = w.{c}" for c in cols)
            changed = " OR ".join(f"t.{c} IS DISTINCT FROM w.{c}" for c in cols)
            con.execute(
                f"UPDATE {self._ref} AS t SET {sets} FROM ({work}) AS w "
                f"WHERE t.rowid = w._pl_rid AND ({changed})"
            )
        finally:
            self._drop_parts()
        return counts

    def _redact_part(self, part: str) -> None:
        cursor = self._con.cursor()  # a connection of its own to the same database: parts run side by side
        try:
            _redact_work(cursor, part, self._cols, self._stages, self._union)
        finally:
            cursor.close()

    def _drop_parts(self) -> None:
        for part in self._parts:
            self._con.execute(f"DROP TABLE IF EXISTS {part}")
        self._parts = []


def _work_parts(
    con: duckdb.DuckDBPyConnection,
    ref: str,
    cols: list[str],
    union: str,
    *,
    n_stages: int,
    parts: int | None,
    group: str,
) -> list[str]:
    """The rows of `ref` matching `union` in some column, copied to work tables; their names. One part
    is a TEMP table; several are tables in SCRATCH, split by a hash of the rowid (not the rowid itself:
    PII can come in a rhythm, every 20th row with a card, that rowid % n would put in one part)."""
    name = f"_paritylab_redact_{uuid.uuid4().hex[:12]}"
    work = ident(name)
    any_hit = " OR ".join(f"regexp_matches({c}, {union})" for c in cols)
    # _pl_n<i>: matches of stage i per row; _pl_p<j>: column j as the current pass found it.
    extra_cols = [f"0::BIGINT AS _pl_n{i}" for i in range(n_stages)]
    extra_cols += [f"{c} AS _pl_p{j}" for j, c in enumerate(cols)] + ["true AS _pl_active"]
    extra_cols.append(f"({group})::BIGINT AS _pl_group")
    con.execute(
        f"CREATE TEMP TABLE {work} AS SELECT rowid AS _pl_rid, {', '.join(cols)}, {', '.join(extra_cols)} "
        f"FROM {ref} WHERE {any_hit}"
    )
    if parts is None:
        [(threads, rows)] = con.execute(
            f"SELECT current_setting('threads'), count(*) FROM {work}"
        ).fetchall()  # fetchall: a half-read result blocks register() in DuckDB 2
        parts = min(int(threads), int(rows) // PART_MIN_ROWS)
    # Inside BEGIN ... other cursors cannot see uncommitted tables, and one transaction may write to only
    # one attached database besides TEMP: one part then.
    if parts <= 1 or _in_transaction(con):
        return [work]
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {SCRATCH}")
    names = [f"{SCRATCH}.{ident(f'{name}_{i}')}" for i in range(parts)]
    for i, part in enumerate(names):
        con.execute(f"CREATE TABLE {part} AS SELECT * FROM {work} WHERE hash(_pl_rid) % {parts} = {i}")
    con.execute(f"DROP TABLE {work}")
    return names


def redact_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    stages: tuple[Stage, ...],
    *,
    extras: tuple[Stage, ...] = (),
    parts: int | None = None,
) -> Counter[str]:
    """Redact VARCHAR `columns` of `table` in place with `stages`; the counts per kind. `extras` are
    the configured patterns, checked against DuckDB's RE2 first; `parts` as for TableRedaction."""
    with TableRedaction(con, table, columns, stages, extras=extras, parts=parts) as job:
        return job.finish()


def _in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """True inside BEGIN ... COMMIT: two statements then share one transaction id (in autocommit, each
    statement is a transaction of its own)."""
    ids = [con.execute("SELECT txid_current()").fetchall()[0][0] for _ in range(2)]
    return bool(ids[0] == ids[1])


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
) -> None:
    """Passes over the work table, as `Redactor.redact` makes them; each row counts its redactions."""
    for _ in range(MAX_PASSES):
        _one_pass(con, work, cols, stages)
        again = _next_pass(con, work, cols, union)
        _compact(con, work)
        if not again:
            break


def _compact(con: duckdb.DuckDBPyConnection, work: str) -> None:
    """The work table replaced by a copy of itself. DuckDB holds the values an UPDATE writes in memory it
    cannot spill, until the table goes: on prompts of ~5 KB one pass's UPDATEs held 167 MB for a work
    table of 28 MB of text, and a 4 GB log file ran the ingest out of its 1 GB memory limit. The copy
    costs one more write of the work table (the rows with PII only)."""
    temp = "" if work.startswith(f"{SCRATCH}.") else "TEMP "
    con.execute(f"CREATE OR REPLACE {temp}TABLE {work} AS SELECT * FROM {work}")


def _tallies(con: duckdb.DuckDBPyConnection, work: str, stages: tuple[Stage, ...]) -> dict[int, Counter[str]]:
    """The counts per kind of the work rows, per group (groups without any left out)."""
    sums = ", ".join(f"sum(_pl_n{i})" for i in range(len(stages)))
    # fetchall: a half-read result blocks register() in DuckDB 2
    found = con.execute(f"SELECT _pl_group, {sums} FROM {work} GROUP BY 1").fetchall()
    tallies: dict[int, Counter[str]] = {}
    for group, *per_stage in found:
        counts: Counter[str] = Counter()
        for stage, n in zip(stages, per_stage, strict=False):
            counts[stage.kind] += int(n or 0)
        if +counts:  # drop zero counts, like the Python path
            tallies[int(group)] = +counts
    return tallies


def _one_pass(con: duckdb.DuckDBPyConnection, work: str, cols: list[str], stages: tuple[Stage, ...]) -> None:
    """All stages in order over the active rows: regex stages in SQL, checksum stages with Python's help."""
    for i, stage in enumerate(stages):
        if stage.valid is None:
            _sql_stage(con, work, cols, stage, f"_pl_n{i}")
        else:
            _checksum_stage(con, work, cols, stage, f"_pl_n{i}")


def _next_pass(con: duckdb.DuckDBPyConnection, work: str, cols: list[str], union: str) -> bool:
    """Keep active only the rows this pass changed that still match some kind (what `redact` retries)."""
    changed = " OR ".join(f"{c} IS DISTINCT FROM _pl_p{j}" for j, c in enumerate(cols))
    again = " OR ".join(f"coalesce(regexp_matches({c}, {union}), false)" for c in cols)
    copy = ", ".join(f"_pl_p{j} = {c}" for j, c in enumerate(cols))
    con.execute(f"UPDATE {work} SET _pl_active = ({changed}) AND ({again}), {copy} WHERE _pl_active")
    [(active,)] = con.execute(f"SELECT count(*) FROM {work} WHERE _pl_active").fetchall()  # all: see _tallies
    return bool(active)


def _sql_stage(con: duckdb.DuckDBPyConnection, work: str, cols: list[str], stage: Stage, tally: str) -> None:
    """One UPDATE: SET expressions all read the old row, so the tally counts what the replace removes."""
    pattern, repl = literal(stage.pattern), literal(stage.replacement)
    hit = " OR ".join(f"regexp_matches({c}, {pattern})" for c in cols)
    n_expr = " + ".join(f"coalesce(len(regexp_extract_all({c}, {pattern})), 0)" for c in cols)
    sets = ", ".join(f"{c} = regexp_replace({c}, {pattern}, {repl}, 'g')" for c in cols)
    con.execute(f"UPDATE {work} SET {tally} = {tally} + {n_expr}, {sets} WHERE _pl_active AND ({hit})")


def _checksum_stage(
    con: duckdb.DuckDBPyConnection, work: str, cols: list[str], stage: Stage, tally: str
) -> None:
    """RE2 finds the stage's matches in DuckDB; Python places each one (an anchored match, no scan),
    checks its checksum (cached) and joins. A value whose scan is not plain (a candidate not valid as a
    whole, where the exact scan retries inside it) is redone by `Stage.apply`, the Python scan itself."""
    changed: list[tuple[object, ...]] = []
    for rid, *found in _candidates(con, work, cols, stage):
        new: list[str | None] = []
        redacted = 0
        for value, joined_matches in zip(found[0::2], found[1::2], strict=True):
            if value is None:  # no candidate in this column: unchanged
                new.append(None)
                continue
            text, n = _joined(stage, value, joined_matches.split(_SEP)) or stage.apply(value)
            redacted += n
            new.append(text if text != value else None)
        if redacted:  # a replacement always changes the text
            changed.append((rid, redacted, *new))
    if changed:
        _write_back(con, work, cols, changed, tally)


# Joins a value's matches into one string: a candidate of a checksum stage (digits, letters, spaces,
# dashes, a plus) never holds it, and were one to, its pieces would fail `_joined`'s anchored check and
# the exact scan would decide. Plain strings, not a LIST: DuckDB hands lists to Python ~10x slower.
_SEP = "\n"


def _candidates(
    con: duckdb.DuckDBPyConnection, work: str, cols: list[str], stage: Stage
) -> list[tuple[Any, ...]]:
    """(rowid, value, matches joined by _SEP, ...) per active row with a candidate in some column; the
    value and matches of a column without one are NULL."""
    pattern = literal(f"({stage.blocker})|{stage.pattern}" if stage.blocker else stage.pattern)
    hits = {c: f"regexp_matches({c}, {pattern})" for c in cols}
    cells = ", ".join(
        f"CASE WHEN {hit} THEN {c} END, "
        f"CASE WHEN {hit} THEN array_to_string(regexp_extract_all({c}, {pattern}), chr(10)) END"
        for c, hit in hits.items()
    )
    query = f"SELECT _pl_rid, {cells} FROM {work} WHERE _pl_active AND ({' OR '.join(hits.values())})"
    return con.execute(query).fetchall()


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
    con: duckdb.DuckDBPyConnection, work: str, cols: list[str], rows: list[tuple[object, ...]], tally: str
) -> None:
    """UPDATE ... FROM (rowid, redactions, new values) as an Arrow table (list parameters convert value
    by value, ~5x slower). None means "unchanged": redaction never turns text into NULL."""
    import pyarrow as pa

    columns = list(zip(*rows, strict=True))
    table = pa.table(
        [int64_array(c) for c in columns[:2]] + [string_array(c) for c in columns[2:]],
        names=["rid", "n"] + [f"c{i}" for i in range(len(cols))],
    )
    sets = ", ".join(
        [f"{tally} = {tally} + n.n"] + [f"{c} = coalesce(n.c{i}, {c})" for i, c in enumerate(cols)]
    )
    with registered(con, f"_paritylab_new_{uuid.uuid4().hex[:12]}", table) as name:
        con.execute(f"UPDATE {work} SET {sets} FROM {name} AS n WHERE {work}._pl_rid = n.rid")
