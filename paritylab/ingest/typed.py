"""SQL for extracting a typed field from a JSON value, with a readable problem when the type is wrong.

`value` is NULL when the field is missing, JSON null, or of the wrong type; `problem` is NULL unless
the field is present, not null, and cannot be read as the expected kind.
Every cast is a TRY_CAST although a json_type guard precedes it: DuckDB's optimizer may hoist a cast
that occurs twice (value and problem) out of its CASE and run it on every row.

A value is read from its JSON type and its text (`JsonValue`), not from a JSON-typed value: a record's
fields then come from two parses of the line with path lists (`JsonPaths`), instead of one parse into a
struct that writes every value back out as JSON and then parses each again to type it.
"""

from __future__ import annotations

from dataclasses import dataclass

_INT = "('BIGINT', 'UBIGINT')"
_NUM = "('BIGINT', 'UBIGINT', 'DOUBLE')"


@dataclass(frozen=True)
class JsonValue:
    """A JSON value in SQL: `type` as json_type gives it (SQL NULL when missing, 'NULL' for null) and
    `text` as json_extract_string gives it (a string unquoted, anything else as JSON text)."""

    type: str
    text: str
    json_expr: str | None = None  # the value as JSON, where the caller has it already

    @property
    def json(self) -> str:
        """The value as JSON (NULL when missing or null)."""
        if self.json_expr is not None:
            return self.json_expr
        return (
            f"CASE WHEN {self.type} = 'VARCHAR' THEN to_json({self.text}) "
            f"WHEN {self.type} <> 'NULL' THEN TRY_CAST({self.text} AS JSON) END"
        )

    @property
    def shown(self) -> str:
        """The value as its JSON text, for a problem message."""
        if self.json_expr is not None:
            return f"{self.json_expr}::VARCHAR"
        return f"CASE WHEN {self.type} = 'VARCHAR' THEN to_json({self.text})::VARCHAR ELSE {self.text} END"


def of_json(expr: str) -> JsonValue:
    """A SQL expression of type JSON (e.g. `span -> 'x'`) as a JsonValue."""
    return JsonValue(f"json_type({expr})", f"({expr} ->> '$')", expr)


class JsonPaths:
    """The paths a format reads from each payload, gathered as its fields ask for them; `select` then
    reads them all with one json_type and one json_extract_string call (two parses of the text), as
    columns `jt` (types) and `jv` (texts)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def first(self, *paths: str) -> JsonValue:
        """The first of `paths` present (JSON null counts as present), as coalesce() of JSON values picks."""
        values = [self._at(p) for p in paths]
        if len(values) == 1:
            return values[0]
        present = " ".join(f"WHEN {v.type} IS NOT NULL THEN {v.text}" for v in values[:-1])
        return JsonValue(
            f"coalesce({', '.join(v.type for v in values)})", f"CASE {present} ELSE {values[-1].text} END"
        )

    def select(self, payload: str) -> str:
        listed = "[" + ", ".join(f"'{p}'" for p in self.paths) + "]"
        return f"json_type({payload}, {listed}) AS jt, json_extract_string({payload}, {listed}) AS jv"

    def _at(self, path: str) -> JsonValue:
        if path not in self.paths:
            self.paths.append(path)
        i = self.paths.index(path) + 1
        return JsonValue(f"jt[{i}]", f"jv[{i}]")


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    problem: str


def field(name: str, source: str | JsonValue, kind: str) -> Field:
    """`source` is a JsonValue or a SQL expression of type JSON (e.g. `s.input_tokens`); `kind` one of
    str, int, num, bool, ts, strlist, json, int_str (an integer, possibly written as a string: OTLP)."""
    v = source if isinstance(source, JsonValue) else of_json(source)
    jt, text, as_double = v.type, v.text, f"TRY_CAST({v.text} AS DOUBLE)"
    value = {
        "str": f"CASE WHEN {jt} IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE') THEN {text} END",
        "int": f"CASE WHEN {jt} IN {_INT} THEN TRY_CAST({text} AS BIGINT) "
        f"WHEN {jt} = 'DOUBLE' AND {as_double} = floor({as_double}) THEN TRY_CAST({as_double} AS BIGINT) END",
        "int_str": f"CASE WHEN {jt} IN {_INT} OR {jt} = 'VARCHAR' THEN TRY_CAST({text} AS BIGINT) END",
        "num": f"CASE WHEN {jt} IN {_NUM} THEN {as_double} END",
        "bool": f"CASE WHEN {jt} = 'BOOLEAN' THEN TRY_CAST({text} AS BOOLEAN) END",
        # epoch seconds, milliseconds, microseconds or nanoseconds (by magnitude); try(): a number out of
        # any range is this row's problem, not an error of the whole statement
        "ts": f"CASE WHEN {jt} = 'VARCHAR' THEN TRY_CAST({text} AS TIMESTAMPTZ) "
        f"WHEN {jt} IN {_NUM} THEN try(to_timestamp({as_double} / CASE WHEN abs({as_double}) > 1e17 THEN 1e9 "
        f"WHEN abs({as_double}) > 1e14 THEN 1e6 WHEN abs({as_double}) > 1e11 THEN 1e3 ELSE 1 END)) END",
        "strlist": f"CASE WHEN {jt} = 'ARRAY' THEN TRY_CAST({v.json} AS VARCHAR[]) END",
        "json": f"CASE WHEN {jt} NOT IN ('NULL') THEN {v.json} END",
        # free text, or an {"type" | "code", "message"} error object rendered as "type: message"
        "text": f"CASE WHEN {jt} = 'OBJECT' THEN coalesce(coalesce({v.json} ->> 'type', {v.json} ->> 'code') "
        f"|| ': ' || ({v.json} ->> 'message'), {text}) WHEN {jt} <> 'NULL' THEN {text} END",
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
        f"THEN '{name}: expected {wanted}, got ' || lower({jt}) || ' ' || left({v.shown}, 60) END"
    )
    return Field(name, value, problem)


def problems_list(fields: list[Field]) -> str:
    """A VARCHAR[] of the fields' problems, NULLs removed. A row without any (nearly all) takes the
    short way: a lambda over a list per row costs more than the typed reads themselves."""
    listed = "list_filter([" + ", ".join(f.problem for f in fields) + "], lambda p: p IS NOT NULL)"
    return f"CASE WHEN {any_problem(fields)} THEN {listed} ELSE []::VARCHAR[] END"


def any_problem(fields: list[Field]) -> str:
    """True when some field has a problem (its reason is only written where one does)."""
    return f"coalesce({', '.join(f.problem for f in fields)}) IS NOT NULL"


def string_or_null(name: str, value: JsonValue) -> Field:
    """A field holding `value` where it is a string, else NULL, never a problem: for a value that may be
    a string or something else entirely (a response given as text, or as an object)."""
    return Field(name, f"CASE WHEN {value.type} = 'VARCHAR' THEN {value.text} END", "NULL")
