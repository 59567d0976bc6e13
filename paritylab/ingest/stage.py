"""The SQL stages of one ingest batch after the scan, on temporary tables of the store's connection.

stage_lines (scan.py) -> skipped / defects -> full parse of the rows sampling may keep (stage_kept) ->
problems and duplicate ids to quarantine -> seeded sampling. Every row ends in exactly one of:
stage_skipped, stage_quarantine, stage_kept, or the sampled-out count, which is what lets the batch
reconcile exactly. stage_kept is the one table holding full texts: later steps delete from it, never
copy it.

Several small files can be staged together, each still its own batch: a row's `position` is its line
number plus the file's index in the group shifted by FILE_SHIFT bits (FILE_OF and LINE_OF take them
apart), and everything counted per batch is counted per file. One file is a group of one (index 0).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from paritylab.ingest.formats import CANONICAL, CUT_SHORT_REASONS, openai_sql, wrapper_sql
from paritylab.ingest.langfuse import langfuse_sql
from paritylab.ingest.litellm import litellm_sql
from paritylab.ingest.otel import otel_sql
from paritylab.ingest.scan import HASH_U, LIGHT
from paritylab.store.sql import literal, registered

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from paritylab.config import IngestConfig

_SQL = {
    "wrapper": wrapper_sql, "openai": openai_sql, "otel": otel_sql, "litellm": litellm_sql, "langfuse": langfuse_sql
}  # fmt: skip
FILE_SHIFT = 40  # 10^12 lines a file, 2^23 files a group
FILE_OF = f"(position >> {FILE_SHIFT})"
LINE_OF = f"(position & {(1 << FILE_SHIFT) - 1})"
# The raw text of a stage_kept row `k` for quarantine: its own (an OTLP span), else its line's.
RAW_OF = "coalesce(k.raw, (SELECT l.raw FROM stage_lines l WHERE l.position = k.position))"
# Re-reads the source (lines.read_chunks or tables.read_table_chunks) for rows whose text the scan let go.
# Given the indices of the group's files that hold such rows, it reads only those.
Reread = Callable[[set[int]], Iterator[Any]]


def create_stage(con: duckdb.DuckDBPyConnection) -> None:
    drop_stage(con)  # what an ingest that failed left
    con.execute("""
        CREATE TEMP TABLE stage_skipped (position BIGINT, kind VARCHAR);
        CREATE TEMP TABLE stage_quarantine (
            position BIGINT, sub BIGINT, log_id VARCHAR, raw VARCHAR, reasons VARCHAR[]);""")


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Once stored, the stage goes: a TEMP checkpoint would otherwise compress tables no one reads."""
    con.execute("""
        DROP TABLE IF EXISTS stage_lines; DROP TABLE IF EXISTS stage_kept; DROP TABLE IF EXISTS stage_counts;
        DROP TABLE IF EXISTS stage_skipped; DROP TABLE IF EXISTS stage_quarantine;""")


def finish_scan(con: duckdb.DuckDBPyConnection, fmt: str) -> dict[int, int]:
    """Settle what the scan left open (strict JSON, OTLP exports without spans), move skipped lines and
    defects out; return how many lines are records, per file of the group."""
    _strict_json(con)
    if fmt == "otel":  # an export with no spans holds no record: it is skipped (and counted), not parsed
        con.execute("""UPDATE stage_lines SET outcome = 'skip', reason = 'OTLP export without spans'
                       WHERE outcome = 'record' AND coalesce(len(json_extract(coalesce(stripped, raw),
                                                  '$.resourceSpans[*].scopeSpans[*].spans[*]')), 0) = 0""")
    con.execute("INSERT INTO stage_skipped SELECT position, reason FROM stage_lines WHERE outcome = 'skip'")
    con.execute("""INSERT INTO stage_quarantine SELECT position, sub, NULL, raw, [reason] FROM stage_lines
                   WHERE outcome = 'defect'""")
    return per_file(con, "stage_lines WHERE outcome = 'record'")


def per_file(con: duckdb.DuckDBPyConnection, rows: str) -> dict[int, int]:
    """{file index: count} of `rows` (a table, with a WHERE clause if need be); files without any are absent."""
    found = con.execute(f"SELECT {FILE_OF}, count(*) FROM {rows} GROUP BY 1").fetchall()
    return {int(file): int(n) for file, n in found}


def _strict_json(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's parser accepts trailing commas and NaN / Inf / Infinity in any case, which are not JSON. The
    scan marked the lines that might contain them (`lax`, rare; text kept, see scan.LAX_PATTERNS); Python's
    strict parser has the last word."""
    rows = con.execute("SELECT position, coalesce(stripped, raw) FROM stage_lines WHERE lax").fetchall()
    bad: list[tuple[int, str]] = []
    for position, payload in rows:
        try:
            json.loads(payload, parse_constant=_reject_constant)
        except ValueError as exc:
            bad.append((position, f"invalid JSON: {exc}"))
    if bad:
        con.execute(
            """UPDATE stage_lines SET outcome = 'defect', reason = b.reason
               FROM (SELECT unnest(?::BIGINT[]) AS position, unnest(?::VARCHAR[]) AS reason) AS b
               WHERE stage_lines.position = b.position""",
            [[p for p, _ in bad], [r for _, r in bad]],
        )


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def parse_sampled(
    con: duckdb.DuckDBPyConnection, fmt: str, cfg: IngestConfig, reread: Reread
) -> tuple[dict[int, int], dict[int, int]]:
    """Full parse into stage_kept of every record sampling may keep; return (records, parsed) per file
    (the difference was sampled out here).

    The scan kept the text of every row that is not certainly sampled out; a row is still needed when
    its log id occurs more than once (the later copies are quarantined as duplicates, with their text):
    those few texts, if the scan let them go, are read again from the source."""
    if fmt in LIGHT:
        records = per_file(con, "stage_lines WHERE outcome = 'record'")
        # a repeated id is a duplicate within its file only (a later file's copy is already stored)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE stage_dups AS SELECT {FILE_OF} AS file, log_id
                        FROM stage_lines WHERE outcome = 'record' GROUP BY 1, 2 HAVING count(*) > 1""")
        if _one(con, "SELECT count(*) FROM stage_dups"):  # rare: spare the UPDATE's pass otherwise
            con.execute(f"""UPDATE stage_lines SET keep = true WHERE outcome = 'record' AND NOT keep
                            AND ({FILE_OF}, log_id) IN (SELECT file, log_id FROM stage_dups)""")
            _fill_missing_text(con, reread, cfg)
        con.execute("DROP TABLE stage_dups")
        parsed = per_file(con, "stage_lines WHERE outcome = 'record' AND keep")
    # A line's text stays in stage_lines (RAW_OF finds it for quarantine); an OTLP row's is its span.
    raw = "raw" if fmt not in LIGHT else "NULL::VARCHAR AS raw"
    source = f"""(SELECT position, sub, {raw}, coalesce(stripped, raw) AS payload FROM stage_lines
                  WHERE outcome = 'record' AND keep)"""
    parse = _derived(_SQL[fmt](source), spans=fmt == "otel")
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage_kept AS {parse}", _params(cfg))
    if fmt not in LIGHT:  # OTLP: the records are the spans the parse fanned out
        records = parsed = per_file(con, "stage_kept")
    return records, parsed


def drop_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Once nothing more can be quarantined from stage_kept, the lines' texts can go."""
    con.execute("DROP TABLE IF EXISTS stage_lines")


def _fill_missing_text(con: duckdb.DuckDBPyConnection, reread: Reread, cfg: IngestConfig) -> None:
    """Second read of the source, only when a needed row has no text (a duplicate id the scan could not
    know about): its lines are matched by position, as the scan numbered them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = [
        p
        for (p,) in con.execute(
            "SELECT position FROM stage_lines WHERE outcome = 'record' AND keep AND raw IS NULL"
        ).fetchall()
    ]
    if not missing:
        return
    wanted = pa.array(missing, pa.int64())
    prefix = literal(cfg.logging_prefix)
    for chunk in reread({position >> FILE_SHIFT for position in missing}):
        table = chunk.to_arrow()
        found = table.filter(pc.is_in(table.column("position"), value_set=wanted))
        if not found.num_rows:
            continue
        with registered(con, "refound", found):
            con.execute(
                f"""UPDATE stage_lines SET raw = r.line,
                      stripped = CASE WHEN regexp_extract(r.line, {prefix}, 1) = $rec
                                      THEN regexp_replace(r.line, {prefix}, '') END
                    FROM refound AS r WHERE stage_lines.position = r.position""",
                {"rec": cfg.record_logger},
            )


# A "successful" call that stopped at its token limit (a reasoning model can spend all of it thinking) or
# was filtered, and said nothing: a failure to keep and mine, not a success with an empty answer (nor a
# row to quarantine for having no output). The scan keeps such lines for it (scan.MAY_BE_CUT_SHORT).
CUT_SHORT_EMPTY = f"status = 'ok' AND nullif(trim(output_text), '') IS NULL AND lower(finish_reason) IN {CUT_SHORT_REASONS!r}"


def _derived(parsed: str, *, spans: bool) -> str:
    """Columns computed from the parse: flattened input, the failure kind and the sampling hash. Texts are
    VARCHAR here (redaction reads them as text); question, context and messages only where the record
    has them itself (the `logs` view derives the others from the input when read: store.logs_view)."""
    flat = (
        "array_to_string(list_transform(TRY_CAST(input_messages AS JSON[]), "
        "lambda m: (m ->> 'role') || ': ' || coalesce(m ->> 'content', '')), chr(10))"
    )
    # OTLP spans may carry messages only; the other formats flatten messages in their own parse.
    input_text = f"CASE WHEN input_text IS NULL THEN {flat} ELSE input_text END" if spans else "input_text"
    plain = ", ".join(
        c for c in CANONICAL if c not in ("input_messages", "input_text", "question", "context")
    )
    cut = f"CASE WHEN {CUT_SHORT_EMPTY} THEN"
    status = f"{cut} 'error' ELSE status END"
    error = f"{cut} 'no output: the call stopped with finish reason ' || finish_reason ELSE error END"
    return f"""
    SELECT position, sub, raw, {plain}, input_messages::VARCHAR AS input_messages, input_text,
      question::VARCHAR AS question, context::VARCHAR AS context,
      CASE WHEN status = 'error' THEN 'error' WHEN feedback = -1 THEN 'negative_feedback'
           WHEN len(coalesce(guardrail_flags, [])) > 0 THEN 'guardrail'
           WHEN latency_ms > $slo THEN 'slow' END AS failure_kind,
      {HASH_U} AS u, problems{", is_genai" if spans else ""}
    FROM (SELECT * REPLACE ({input_text} AS input_text, {status} AS status, {error} AS error) FROM ({parsed}))"""


def _params(cfg: IngestConfig) -> dict[str, Any]:
    return {"slo": cfg.latency_slo_ms, "seed": str(cfg.seed)}


def split_parsed(con: duckdb.DuckDBPyConnection) -> None:
    """Non-GenAI spans are skipped; rows with type problems or a log id seen earlier in their file are
    quarantined. Ranks come from the small columns only; the texts stay where they are."""
    columns = {r[0] for r in con.execute("DESCRIBE stage_kept").fetchall()}
    if "is_genai" in columns:
        con.execute(
            "INSERT INTO stage_skipped SELECT position, 'span is not a GenAI call' FROM stage_kept WHERE NOT is_genai"
        )
        con.execute("DELETE FROM stage_kept WHERE NOT is_genai; ALTER TABLE stage_kept DROP COLUMN is_genai")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE stage_ranks AS
        SELECT position, sub, len(problems) > 0 AS has_problems,
               row_number() OVER (PARTITION BY {FILE_OF}, log_id ORDER BY position, sub) AS copy,
               first_value({LINE_OF}) OVER (PARTITION BY {FILE_OF}, log_id ORDER BY position, sub)
                 AS first_position
        FROM stage_kept""")
    # usually none: then the join with every kept row's columns is spared
    if _one(con, "SELECT count(*) FROM stage_ranks WHERE has_problems OR copy > 1"):
        con.execute(f"""
            INSERT INTO stage_quarantine
            SELECT k.position, k.sub, k.log_id, {RAW_OF},
                   k.problems || CASE WHEN r.copy > 1 THEN ['duplicate log id ' || k.log_id
                                                          || ' (first at line ' || r.first_position || ')']
                                      ELSE [] END
            FROM stage_kept k JOIN stage_ranks r USING (position, sub) WHERE r.has_problems OR r.copy > 1""")
        con.execute("""DELETE FROM stage_kept WHERE (position, sub) IN (
                         SELECT position, sub FROM stage_ranks WHERE has_problems OR copy > 1)""")
    con.execute("DROP TABLE stage_ranks")


def sample(con: duckdb.DuckDBPyConnection, cfg: IngestConfig) -> None:
    """Keep every failure; keep successes by a seeded hash of the log id (rate, or a fixed count per file).
    The rows sampling looked at are counted per file first (stage_counts)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE stage_counts AS
                    SELECT {FILE_OF} AS file, count(*) AS candidates FROM stage_kept GROUP BY 1""")
    if cfg.sample_count is None:
        con.execute(
            "DELETE FROM stage_kept WHERE failure_kind IS NULL AND NOT coalesce(u < ?, false)",
            [cfg.sample_rate],
        )
        return
    con.execute(
        f"""DELETE FROM stage_kept WHERE (position, sub) IN (
             SELECT position, sub FROM (
               SELECT position, sub, row_number() OVER (PARTITION BY {FILE_OF} ORDER BY u, log_id) AS rank
               FROM stage_kept WHERE failure_kind IS NULL)
             WHERE rank > ?)""",
        [cfg.sample_count],
    )


def validation_frame(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The columns Great Expectations checks, as an Arrow table: this process need not import pandas (the
    validator process makes the pandas frame GX checks) and the table crosses the pipe as a few buffers.
    Every column's type is explicit, so the frame is the one DuckDB's own pandas conversion would make.
    Counts are DOUBLE (NaN for NULL), not integers: an integer column with NULLs becomes a nullable
    Int64 in pandas, on which GX's checks ran 4.7x slower (1M rows: 3.2 vs 0.7 s). Every check is a
    range, a set or NULL, alike on both; doubles hold these integers exactly up to 2^53."""
    counts = {
        "ts_epoch_s": "epoch(ts)", "latency_ms": "latency_ms", "cost_usd": "cost_usd",
        "log_id_len": "length(log_id)", "app_len": "length(app)", "model_len": "length(model)",
        "input_len": "length(input_text)", "output_len": "length(output_text)",
        "input_tokens": "input_tokens", "output_tokens": "output_tokens", "feedback": "feedback",
    }  # fmt: skip
    doubles = ", ".join(f"({expr})::DOUBLE AS {name}" for name, expr in counts.items())
    return con.sql(f"""
        SELECT position::BIGINT AS position, sub::BIGINT AS sub, status::VARCHAR AS status, {doubles}
        FROM stage_kept""").to_arrow_table()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    [(n,)] = con.execute(sql).fetchall()  # fetchall: a half-read result blocks register() in DuckDB 2
    return int(n)
