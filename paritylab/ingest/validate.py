"""The Great Expectations gate: every batch of rows about to be stored is validated; each failing
row gets every reason it failed, in words a person can act on."""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

MAX_TEXT_CHARS = 500_000
MAX_TOKENS = 2_000_000
MAX_LATENCY_MS = 3_600_000
MAX_COST_USD = 1_000.0
# Columns the suite reads: small scalars only (text lengths, not texts), so the frame stays cheap.
VALIDATED_COLUMNS = [
    "position",
    "sub",
    "log_id",
    "ts_epoch_s",
    "app_len",
    "model_len",
    "status",
    "input_len",
    "output_len",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "cost_usd",
    "feedback",
]


def _expectations(now_epoch_s: float) -> list[tuple[str, Any]]:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    ok_rows = {"row_condition": Column("status") == "ok"}
    return [
        ("log_id is missing", gxe.ExpectColumnValuesToNotBeNull(column="log_id")),
        ("timestamp is missing or unreadable", gxe.ExpectColumnValuesToNotBeNull(column="ts_epoch_s")),
        (
            "timestamp is before 2015 or in the future",
            gxe.ExpectColumnValuesToBeBetween(
                column="ts_epoch_s", min_value=1_420_070_400, max_value=now_epoch_s
            ),
        ),
        ("model is missing", gxe.ExpectColumnValuesToNotBeNull(column="model_len")),
        (
            "model name is empty or longer than 200 characters",
            gxe.ExpectColumnValuesToBeBetween(column="model_len", min_value=1, max_value=200),
        ),
        (
            "app name is longer than 200 characters",
            gxe.ExpectColumnValuesToBeBetween(column="app_len", max_value=200),
        ),
        (
            "status is not ok/error",
            gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["ok", "error"]),
        ),
        ("input (prompt/messages) is missing", gxe.ExpectColumnValuesToNotBeNull(column="input_len")),
        (
            f"input is empty or longer than {MAX_TEXT_CHARS} characters",
            gxe.ExpectColumnValuesToBeBetween(column="input_len", min_value=1, max_value=MAX_TEXT_CHARS),
        ),
        (
            "a successful call has no output",
            gxe.ExpectColumnValuesToNotBeNull(column="output_len", **ok_rows),
        ),
        (
            f"output is longer than {MAX_TEXT_CHARS} characters",
            gxe.ExpectColumnValuesToBeBetween(column="output_len", max_value=MAX_TEXT_CHARS),
        ),
        (
            f"input_tokens is negative or above {MAX_TOKENS}",
            gxe.ExpectColumnValuesToBeBetween(column="input_tokens", min_value=0, max_value=MAX_TOKENS),
        ),
        (
            f"output_tokens is negative or above {MAX_TOKENS}",
            gxe.ExpectColumnValuesToBeBetween(column="output_tokens", min_value=0, max_value=MAX_TOKENS),
        ),
        (
            "latency_ms is negative or above one hour",
            gxe.ExpectColumnValuesToBeBetween(column="latency_ms", min_value=0, max_value=MAX_LATENCY_MS),
        ),
        (
            f"cost_usd is negative or above {MAX_COST_USD}",
            gxe.ExpectColumnValuesToBeBetween(column="cost_usd", min_value=0, max_value=MAX_COST_USD),
        ),
        ("feedback is not +1 or -1", gxe.ExpectColumnValuesToBeInSet(column="feedback", value_set=[1, -1])),
    ]


_warm_up: list[threading.Thread] = []  # at most one: the import runs once per process


def warm_up() -> None:
    """Start importing Great Expectations in a background thread. The import takes ~3 s of pure Python;
    an ingest spends its first seconds in DuckDB and Arrow, which release the GIL, so the two overlap.
    `ready()` waits for it: nothing else imports concurrently with it."""
    if not _warm_up and "great_expectations" not in sys.modules:
        _warm_up.append(threading.Thread(target=_import_gx, name="paritylab-gx-import", daemon=True))
        _warm_up[0].start()


def _import_gx() -> None:
    # a failure is not lost: the import in _validation raises it again, with its traceback
    with contextlib.suppress(Exception):
        import great_expectations  # noqa: F401


def ready() -> None:
    """Wait for a warm-up import, if one is running (before anything else may import pandas or GX)."""
    for thread in _warm_up:
        thread.join()


@functools.lru_cache(maxsize=4)
def _validation(now_bucket: int) -> tuple[Any, dict[str, str]]:
    """Build the GX context, suite and validation definition once per process (and per day)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # no per-validation bar on stderr
    batch = (
        ctx.data_sources.add_pandas("logs")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("all")
    )
    suite = ctx.suites.add(gx.ExpectationSuite(name="paritylab_logs"))
    reasons: dict[str, str] = {}
    for reason, expectation in _expectations(float((now_bucket + 2) * 86_400)):
        added = suite.add_expectation(expectation)
        reasons[str(added.id)] = reason
    definition = ctx.validation_definitions.add(gx.ValidationDefinition(name="logs", data=batch, suite=suite))
    return definition, reasons


def validate_frame(frame: pd.DataFrame, now_epoch_s: float) -> dict[tuple[int, int], list[str]]:
    """{(position, sub): [reasons]} for every row that fails any expectation; rows not listed passed."""
    if frame.empty:
        return {}
    definition, reasons = _validation(int(now_epoch_s // 86_400))
    result = definition.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["position", "sub"]},
    )
    failures: dict[tuple[int, int], list[str]] = defaultdict(list)
    for outcome in result.results:
        reason = reasons[str(outcome.expectation_config.id)]
        for item in outcome.result.get("unexpected_index_list") or []:
            failures[(int(item["position"]), int(item["sub"]))].append(reason)
    return dict(failures)
