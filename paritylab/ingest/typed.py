"""SQL for extracting a typed field from a JSON value, with a readable problem when the type is wrong.

`value` is NULL when the field is missing, JSON null, or of the wrong type; `problem` is NULL unless
the field is present, not null, and cannot be read as the expected kind.
Every cast is a TRY_CAST although a json_type guard precedes it: DuckDB's optimizer may hoist a cast
that occurs twice (value and problem) out of its CASE and run it on every row.
"""

from __future__ import annotations

from dataclasses import dataclass

_INT = "('BIGINT', 'UBIGINT')"
_NUM = "('BIGINT', 'UBIGINT', 'DOUBLE')"


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    problem: str


def field(name: str, expr: str, kind: str) -> Field:
    """`expr` is a SQL expression of type JSON (e.g. `s.input_tokens`); `kind` one of
    str, int, num, bool, ts, strlist, json, int_str (an integer, possibly written as a string: OTLP)."""
    jt = f"json_type({expr})"
    value = {
        "str": f"CASE WHEN {jt} IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE') THEN {expr} ->> '$' END",
        "int": f"CASE WHEN {jt} IN {_INT} THEN TRY_CAST({expr} ->> '$' AS BIGINT) "
        f"WHEN {jt} = 'DOUBLE' AND TRY_CAST({expr} AS DOUBLE) = floor(TRY_CAST({expr} AS DOUBLE)) THEN TRY_CAST(TRY_CAST({expr} AS DOUBLE) AS BIGINT) END",
        "int_str": f"CASE WHEN {jt} IN {_INT} OR {jt} = 'VARCHAR' THEN TRY_CAST({expr} ->> '$' AS BIGINT) END",
        "num": f"CASE WHEN {jt} IN {_NUM} THEN TRY_CAST({expr} ->> '$' AS DOUBLE) END",
        "bool": f"CASE WHEN {jt} = 'BOOLEAN' THEN TRY_CAST({expr} ->> '$' AS BOOLEAN) END",
        "ts": f"CASE WHEN {jt} = 'VARCHAR' THEN TRY_CAST({expr} ->> '$' AS TIMESTAMPTZ) "
        f"WHEN {jt} IN {_NUM} THEN to_timestamp(CASE WHEN TRY_CAST({expr} AS DOUBLE) > 1e11 "
        f"THEN TRY_CAST({expr} AS DOUBLE) / 1000 ELSE TRY_CAST({expr} AS DOUBLE) END) END",
        "strlist": f"CASE WHEN {jt} = 'ARRAY' THEN TRY_CAST({expr} AS VARCHAR[]) END",
        "json": f"CASE WHEN {jt} NOT IN ('NULL') THEN {expr} END",
        # free text, or an {"type", "message"} error object rendered as "type: message"
        "text": f"CASE WHEN {jt} = 'VARCHAR' THEN {expr} ->> '$' WHEN {jt} = 'OBJECT' THEN "
        f"coalesce(({expr} ->> 'type') || ': ' || ({expr} ->> 'message'), {expr}::VARCHAR) "
        f"WHEN {jt} <> 'NULL' THEN {expr}::VARCHAR END",
    }[kind]
    wanted = {
        "str": "a string",
        "int": "an integer",
        "int_str": "an integer",
        "num": "a number",
        "bool": "true/false",
        "ts": "a timestamp",
        "strlist": "a list of strings",
        "json": "a value",
        "text": "text",
    }[kind]
    problem = (
        f"CASE WHEN {jt} IS NOT NULL AND {jt} <> 'NULL' AND ({value}) IS NULL "
        f"THEN '{name}: expected {wanted}, got ' || lower({jt}) || ' ' || left({expr}::VARCHAR, 60) END"
    )
    return Field(name, value, problem)


def problems_list(fields: list[Field]) -> str:
    """A VARCHAR[] of the fields' problems, NULLs removed."""
    return "list_filter([" + ", ".join(f.problem for f in fields) + "], lambda p: p IS NOT NULL)"
