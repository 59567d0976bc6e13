"""Files written through Python's logging module with a format of their own (a timestamp, the level, the
logger): `[ingest] logging_prefix` says where the message starts and which logger wrote it. JSON logs of
logging libraries (structlog, python-json-logger) name the logger in a key."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from paritylab.config import IngestConfig
from paritylab.errors import ConfigError
from paritylab.ingest.pipeline import ingest_file
from paritylab.ingest.redact import Redactor
from paritylab.store import Store
from tests.ingest.test_malformed import w, wrapper

ASCTIME_PREFIX = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) ([\w.-]+): "


def write_log(path: Path) -> None:
    """Records and an HTTP client's lines, through the real logging module and a formatter."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger("llm_calls"), logging.getLogger("httpx")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    try:
        for i in range(5):
            loggers[1].info('HTTP Request: POST https://api.openai.com/v1/chat/completions "HTTP/1.1 200 OK"')
            loggers[0].info(w(f"fmt{i}", feedback=-1 if i == 2 else None))
        loggers[0].warning('{"request_id": "req_cut", "prompt": ')
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        handler.close()


def test_a_configured_prefix_reads_a_formatted_logging_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    write_log(path)
    cfg = IngestConfig(sample_rate=1.0, logging_prefix=ASCTIME_PREFIX)
    batch = ingest_file(store, path, None, cfg, redactor=Redactor())
    assert batch.source_format == "wrapper" and batch.reconciles()
    assert (batch.seen, batch.stored, batch.quarantined) == (11, 5, 1)
    assert batch.skipped_kinds == {"other logger: httpx": 5}
    assert batch.kept_kinds == {"sampled": 4, "negative_feedback": 1}
    [row] = store.rows("SELECT position, raw, reasons FROM quarantine")
    assert row["position"] == 11 and row["raw"].endswith(
        'WARNING llm_calls: {"request_id": "req_cut", "prompt": '
    )
    assert row["reasons"] == ["invalid JSON: Expecting value (character 36)"]  # the message's, not the line's
    [sampling] = store.rows("SELECT sampling FROM ingest_batches")
    assert ASCTIME_PREFIX in sampling["sampling"].replace("\\\\", "\\")  # another prefix: another batch


def test_with_the_default_prefix_such_lines_are_quarantined_not_lost(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    write_log(path)
    batch = ingest_file(store, path, None, IngestConfig(sample_rate=1.0), redactor=Redactor())
    assert batch.reconciles() and (batch.stored, batch.quarantined, batch.skipped) == (0, 11, 0)


def test_a_prefix_must_be_anchored_capture_the_logger_and_work_in_re2(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"must start with \^ and capture the logger name"):
        IngestConfig(logging_prefix=r"\d+ ([\w.]+): ")
    with pytest.raises(ValidationError, match="not a regular expression"):
        IngestConfig(logging_prefix=r"^([\w.]+: ")
    path = tmp_path / "app.log"
    write_log(path)
    lookahead = IngestConfig(logging_prefix=r"^(?=\d)\S+ \S+ [A-Z]+ ([\w.-]+): ")  # Python reads it, RE2 not
    with pytest.raises(ConfigError, match=r"logging_prefix .* is rejected by DuckDB"):
        ingest_file(store, path, "wrapper", lookahead, redactor=Redactor())


def test_json_log_lines_of_other_loggers_are_skipped_not_quarantined(store: Store, tmp_path: Path) -> None:
    """structlog / python-json-logger files: the records carry the wrapper's keys at the top level (read as
    usual); an HTTP client's lines are that logger's, skipped and counted like prefixed lines."""
    ts = {"timestamp": "2026-11-16T10:00:00Z"}
    lines = [
        {"event": "HTTP Request: POST https://api.openai.com", "level": "info", "logger": "httpx", **ts},
        {"event": "llm_call", "level": "info", "logger": "llm_calls", **wrapper(request_id="s1")},
        {"message": "Starting new HTTPS connection", "levelname": "DEBUG", "name": "urllib3.connectionpool"},
        {"event": "llm_call", "level": "error", "logger": "llm_calls", **ts},  # ours, but no record in it
        {"hello": "world", "level": "info"},  # no logger named, no message: not a log line we can tell
        {"event": "user signed in", "level": "info", **ts},  # structlog without logger names: a log line
    ]
    path = tmp_path / "structlog.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    batch = ingest_file(store, path, None, IngestConfig(sample_rate=1.0), redactor=Redactor())
    assert batch.reconciles() and (batch.seen, batch.stored, batch.quarantined) == (6, 1, 2)
    assert batch.skipped_kinds == {
        "other logger: httpx": 1,
        "other logger: urllib3.connectionpool": 1,
        "other logger: (no logger name)": 1,
    }
    reasons = [r["reasons"] for r in store.rows("SELECT reasons FROM quarantine ORDER BY position")]
    assert reasons == [["not a wrapper record: none of the keys prompt, messages, response, model"]] * 2
