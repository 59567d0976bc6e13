"""Tabular logs (Parquet, CSV, TSV) through a column mapping: each row becomes a logging-wrapper record.

DuckDB reads the table; `[ingest] columns` maps wrapper fields to the table's column names (a field
whose name is a column needs no mapping). Rows then take the wrapper path: same typing, sampling,
validation and quarantine, with the row number as the position. Types the table already has (lists,
timestamps, numbers) survive because DuckDB writes each row out as JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from paritylab.errors import IngestError
from paritylab.ingest.lines import TABLE_SUFFIXES, LineChunk
from paritylab.store.sql import ident, literal

# The wrapper record's fields (paritylab.ingest.formats.wrapper_sql reads these keys).
WRAPPER_FIELDS = (
    "request_id", "id", "ts", "timestamp", "app", "model", "prompt_version", "prompt", "messages",
    "question", "context", "response", "input_tokens", "output_tokens", "est_cost_usd", "cost_usd",
    "latency_ms", "ok", "error", "feedback", "guardrails", "tags", "finish_reason",
)  # fmt: skip
ROWS_PER_CHUNK = 100_000


def is_table(path: Path) -> bool:
    return path.name.lower().endswith(TABLE_SUFFIXES)


def _reader(path: Path) -> str:
    name, quoted = path.name.lower(), literal(str(path))
    if name.endswith(".parquet"):
        return f"read_parquet({quoted})"
    delim = "'\\t'" if name.endswith(".tsv") else "','"
    return f"read_csv({quoted}, header = true, delim = {delim}, all_varchar = false)"


# Fields that hold lists or objects: CSV can only carry them as JSON text, which is read back as JSON.
STRUCTURED_FIELDS = ("messages", "context", "guardrails", "tags")
# A CSV column with one bad cell is sniffed as text: its numbers and booleans are read back as such, and
# what does not read stays a string, to be quarantined by the typed parse with its reason.
NUMBER_FIELDS = ("input_tokens", "output_tokens", "est_cost_usd", "cost_usd", "latency_ms", "feedback")
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")  # the column types that can hold NaN / Infinity


def _value(field: str, column: str, sql_type: str) -> str:
    col = ident(column)
    if field in STRUCTURED_FIELDS and sql_type == "VARCHAR":
        return f"CASE WHEN left(ltrim({col}), 1) IN ('[', '{{') AND json_valid({col}) THEN {col}::JSON ELSE {col} END"
    if sql_type == "VARCHAR" and field in NUMBER_FIELDS:
        number = f"TRY_CAST({col} AS DOUBLE)"
        return (
            f"coalesce(TRY_CAST({col} AS BIGINT)::JSON, CASE WHEN isfinite({number}) THEN {number}::JSON END, "
            f"to_json({col}))"
        )
    if sql_type in FLOAT_TYPES and field in NUMBER_FIELDS:
        # NaN / Infinity have no JSON form: as text, the typed parse names the cell ("expected a number")
        return f"CASE WHEN isfinite({col}) THEN to_json({col}) ELSE to_json({col}::VARCHAR) END"
    if sql_type == "VARCHAR" and field == "ok":
        return f"coalesce(TRY_CAST({col} AS BOOLEAN)::JSON, to_json({col}))"
    return col


def record_expression(columns: dict[str, str], mapping: Mapping[str, str], path: Path) -> str:
    """json_object(...) over the mapped columns; a mapping that names a missing column is an error."""
    unknown_fields = sorted(set(mapping) - set(WRAPPER_FIELDS))
    if unknown_fields:
        raise IngestError(
            f"[ingest] columns maps unknown field(s) {', '.join(unknown_fields)}",
            hint=f"map these fields: {', '.join(WRAPPER_FIELDS)}",
        )
    missing = sorted(c for c in mapping.values() if c not in columns)
    if missing:
        raise IngestError(
            f"{path} has no column(s) {', '.join(missing)} named in [ingest] columns",
            hint=f"its columns are: {', '.join(columns)}",
        )
    pairs = [(f, mapping.get(f, f)) for f in WRAPPER_FIELDS if mapping.get(f, f) in columns]
    if not any(f in ("prompt", "messages", "response", "model") for f, _ in pairs):
        raise IngestError(
            f"{path}: no column maps to prompt, messages, response or model",
            hint='add an [ingest] columns mapping, e.g. columns = { prompt = "input", response = "output" }',
        )
    return "json_object(" + ", ".join(f"'{f}', {_value(f, c, columns[c])}" for f, c in pairs) + ")"


def read_table_chunks(path: Path, mapping: Mapping[str, str]) -> Iterator[LineChunk]:
    """The table's rows as wrapper JSON lines, in chunks; positions are 1-based row numbers."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {_reader(path)}").fetchall()
        record = record_expression({r[0]: r[1] for r in described}, mapping, path)
        reader = con.sql(
            f"""SELECT row_number() OVER () AS position, {record}::VARCHAR AS line, NULL::VARCHAR AS defect
                FROM {_reader(path)}"""
        ).to_arrow_reader(ROWS_PER_CHUNK)
        for batch in reader:
            yield LineChunk(pa.Table.from_batches([batch]))
    except duckdb.Error as exc:
        raise IngestError(
            f"cannot read table {path}: {exc}", hint="is it valid Parquet/CSV with a header?"
        ) from exc
    finally:
        con.close()
