"""Parquet and CSV logs through the [ingest] column mapping: real files written by DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from paritylab.config import IngestConfig
from paritylab.errors import IngestError
from paritylab.ingest.pipeline import ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.store import open_store

MAPPING = {"request_id": "trace_id", "prompt": "input", "response": "completion", "ts": "created"}
ROWS = """
SELECT 'tr-' || i AS trace_id, TIMESTAMPTZ '2026-11-20 10:00:00+00' + INTERVAL (i) MINUTE AS created,
       'gpt-4o-mini' AS model, 'Where do I change my plan? call me on +44 20 7946 0958' AS input,
       CASE WHEN i = 3 THEN NULL ELSE 'Settings > Billing > Plan.' END AS completion,
       12 AS input_tokens, 6 AS output_tokens, 300.0 + i AS latency_ms, i <> 3 AS ok,
       CASE WHEN i = 3 THEN 'Timeout' END AS error, CASE WHEN i = 4 THEN -1 END AS feedback,
       CASE WHEN i = 5 THEN ['pii'] ELSE [] END AS guardrails
FROM range(1, 9) t(i)"""


def _write(tmp_path: Path, name: str, options: str) -> Path:
    path = tmp_path / name
    duckdb.execute(f"COPY ({ROWS}) TO '{path}' ({options})")
    return path


@pytest.mark.parametrize(("name", "options"), [("logs.parquet", "FORMAT parquet"), ("logs.csv", "HEADER")])
def test_table_rows_are_mapped_typed_redacted_and_stored(tmp_path: Path, name: str, options: str) -> None:
    if name.endswith(".csv"):  # CSV has no list type: write the flags as a JSON array literal
        path = tmp_path / name
        duckdb.execute(
            f"COPY (SELECT * REPLACE (to_json(guardrails) AS guardrails) FROM ({ROWS})) TO '{path}' (HEADER)"
        )
    else:
        path = _write(tmp_path, name, options)
    with open_store(tmp_path / "s.duckdb") as store:
        batch = ingest_file(store, path, None, IngestConfig(columns=MAPPING), redactor=Redactor())
        rows = store.rows("SELECT * FROM logs ORDER BY position")
    assert batch.source_format == "table" and batch.reconciles()
    assert (batch.seen, batch.stored, batch.quarantined) == (8, 8, 0)
    assert [r["log_id"] for r in rows][:2] == ["wrapper:tr-1", "wrapper:tr-2"]
    assert rows[2]["status"] == "error" and rows[2]["error"] == "Timeout"
    assert rows[3]["feedback"] == -1 and rows[0]["output_text"] == "Settings > Billing > Plan."
    assert "+44 20" not in rows[0]["input_text"] and "[PHONE]" in rows[0]["input_text"]
    assert str(rows[0]["ts"]).startswith("2026-11-20 10:01")


def test_a_mapping_to_a_missing_column_names_the_columns_there_are(tmp_path: Path) -> None:
    path = _write(tmp_path, "logs.parquet", "FORMAT parquet")
    cfg = IngestConfig(columns={**MAPPING, "response": "answer"})
    with open_store(tmp_path / "s.duckdb") as store, pytest.raises(IngestError) as err:
        ingest_file(store, path, None, cfg, redactor=Redactor())
    assert "no column(s) answer" in str(err.value) and "completion" in (err.value.hint or "")


def test_a_mapping_of_an_unknown_field_and_a_table_with_nothing_to_read_are_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "logs.parquet", "FORMAT parquet")
    with open_store(tmp_path / "s.duckdb") as store:
        with pytest.raises(IngestError, match="unknown field"):
            ingest_file(
                store, path, None, IngestConfig(columns={"answer": "completion"}), redactor=Redactor()
            )
        bare = tmp_path / "bare.csv"
        bare.write_text("a,b\n1,2\n")
        with pytest.raises(IngestError, match="no column maps to prompt"):
            ingest_file(store, bare, None, IngestConfig(), redactor=Redactor())
        assert store.rows("SELECT count(*) AS n FROM logs") == [{"n": 0}]


def test_a_wrongly_typed_cell_is_quarantined_with_its_row_number(tmp_path: Path) -> None:
    path = tmp_path / "logs.csv"
    path.write_text(
        "trace_id,created,input,completion,model,input_tokens\n"
        "a,2026-11-20T10:00:00Z,hello,hi,m,12\n"
        "b,2026-11-20T10:01:00Z,hello again,hi,m,twelve\n"
    )
    with open_store(tmp_path / "s.duckdb") as store:
        batch = ingest_file(store, path, None, IngestConfig(columns=MAPPING), redactor=Redactor())
        [bad] = store.rows("SELECT position, reasons FROM quarantine")
    assert (batch.stored, batch.quarantined) == (1, 1) and batch.reconciles()
    assert bad["position"] == 2 and "input_tokens: expected an integer" in bad["reasons"][0]


@pytest.mark.parametrize("name", ["nan.csv", "nan.parquet"])
def test_a_nan_or_infinite_number_cell_is_quarantined_as_that_cell(tmp_path: Path, name: str) -> None:
    """A float column may hold NaN / inf, which a number field cannot be (a NaN cost would poison every
    sum): the row is quarantined naming the cell, not as "invalid JSON" of our own JSON form of the row."""
    path = tmp_path / name
    rows = """SELECT * FROM (VALUES ('a', 'nan'::DOUBLE, 100.0), ('b', 0.1, 'inf'::DOUBLE), ('c', 0.2, 300.0))
              v(trace_id, est_cost_usd, latency_ms)"""
    columns = "'m' AS model, 'p' AS input, 'r' AS completion, '2026-11-20T10:00:00Z' AS created"
    table = f"SELECT *, {columns} FROM ({rows})"
    duckdb.execute(
        f"COPY ({table}) TO '{path}' ({'FORMAT parquet' if name.endswith('parquet') else 'HEADER'})"
    )
    with open_store(tmp_path / "s.duckdb") as store:
        batch = ingest_file(store, path, None, IngestConfig(columns=MAPPING), redactor=Redactor())
        reasons = {
            r["position"]: r["reasons"] for r in store.rows("SELECT position, reasons FROM quarantine")
        }
    assert (batch.stored, batch.quarantined) == (1, 2) and batch.reconciles()
    assert reasons[1][0].startswith("est_cost_usd: expected a number") and "nan" in reasons[1][0].lower()
    assert reasons[2][0].startswith("latency_ms: expected a number") and "inf" in reasons[2][0].lower()
