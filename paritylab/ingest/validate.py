"""The Great Expectations gate: every batch of rows about to be stored is validated; each failing
row gets every reason it failed, in words a person can act on."""

from __future__ import annotations

import contextlib
import functools
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from paritylab.errors import IngestError
from paritylab.ingest.validator import ValidatorGone, forget, validator

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    # the validation frame: pandas, or Arrow as stage.validation_frame makes it
    Frame: TypeAlias = pd.DataFrame | pa.Table

MAX_TOKENS = 2_000_000  # the longest context windows offered today are 1-2M tokens
# ~4 characters a token: a prompt filling such a window is an input, not an error (at 500k characters,
# long-context RAG calls of 125k+ tokens were quarantined)
MAX_TEXT_CHARS = 4 * MAX_TOKENS
MAX_LATENCY_MS = 3_600_000
MAX_COST_USD = 1_000.0
# Rows validated at a time: the validator process holds one slice (frame, pandas copy, GX's masks), so its
# memory stays ~150 MB however big the batch (a 3M-row file kept 1M rows: 604 MB in one piece). Each
# slice costs GX's fixed ~0.1-0.2 s more, beside the redaction.
SLICE_ROWS = 262_144
# Columns the suite reads: small scalars only (text lengths, not texts), so the frame stays cheap.
VALIDATED_COLUMNS = [
    "position",
    "sub",
    "log_id_len",
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
        ("log_id is missing", gxe.ExpectColumnValuesToNotBeNull(column="log_id_len")),
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


def warm_up() -> None:
    """Start the validator process (paritylab.ingest.validator), which imports Great Expectations while
    this process reads the logs."""
    with contextlib.suppress(OSError):  # cannot start one: `submit` validates in this process
        validator()


def submit(frame: Frame, now_epoch_s: float) -> Callable[[], dict[tuple[int, int], list[str]]]:
    """Start validating `frame` in the validator process, SLICE_ROWS rows at a time; the callable returned
    waits for the failures (as `validate_frame` gives them). Should that process be unavailable or die,
    this process validates: a batch is never stored unvalidated."""
    slices = _slices(frame)
    try:
        futures = [validator().call("validate", part, now_epoch_s) for part in slices]
    except OSError:
        return lambda: _validate_here(slices, now_epoch_s)

    def failures() -> dict[tuple[int, int], list[str]]:
        found: dict[tuple[int, int], list[str]] = {}
        try:
            for future in futures:
                found.update(future.result())
        except ValidatorGone:
            forget()
            return _validate_here(slices, now_epoch_s)
        return found

    return failures


def _slices(frame: Frame) -> list[Frame]:
    """`frame` in pieces of SLICE_ROWS rows (one piece, itself, if it is no bigger). Arrow pieces are
    copies: a sliced Arrow table pickles its whole buffers."""
    rows = len(frame)
    if rows <= SLICE_ROWS:
        return [frame]
    starts = range(0, rows, SLICE_ROWS)
    if hasattr(frame, "iloc"):  # pandas
        return [frame.iloc[start : start + SLICE_ROWS] for start in starts]
    from paritylab.store.sql import int64_array

    return [frame.take(int64_array(range(start, min(start + SLICE_ROWS, rows)))) for start in starts]


def _validate_here(slices: list[Frame], now_epoch_s: float) -> dict[tuple[int, int], list[str]]:
    found: dict[tuple[int, int], list[str]] = {}
    for part in slices:
        found.update(validate_frame(part, now_epoch_s))
    return found


def validator_usage() -> tuple[float, float]:
    """(CPU seconds, peak RSS in MB) of the validator process so far (benchmarks add them to their own)."""
    cpu, rss = validator().call("usage").result()
    return float(cpu), float(rss)


def process_usage() -> tuple[float, float]:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def import_gx() -> None:
    import great_expectations  # noqa: F401


# GX lists the failing rows of each expectation by the frame's index (its default, when no index column
# names are given: per-row lookups of named columns took 5 s for 50k failing rows); no index query string.
RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}


@functools.lru_cache(maxsize=4)
def _validation(now_bucket: int) -> tuple[Any, Any, dict[str, str]]:
    """Build the GX context, batch definition and suite once per process (and per day)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # no per-validation bar on stderr
    batch_definition = (
        ctx.data_sources.add_pandas("logs")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("all")
    )
    suite = ctx.suites.add(gx.ExpectationSuite(name="paritylab_logs"))
    reasons: dict[str, str] = {}
    for reason, expectation in _expectations(float((now_bucket + 2) * 86_400)):
        added = suite.add_expectation(expectation)
        reasons[str(added.id)] = reason
    return batch_definition, suite, reasons


def validate_frame(frame: Frame, now_epoch_s: float) -> dict[tuple[int, int], list[str]]:
    """{(position, sub): [reasons]} for every row that fails any expectation; rows not listed passed.

    The batch validates the suite (`Batch.validate`), not a ValidationDefinition: `run` also stores each
    result in the context, which for 50k failing rows took 8 s and kept every result in memory."""
    import pandas as pd  # imported with GX anyway

    if not isinstance(frame, pd.DataFrame):  # Arrow: GX's pandas datasource checks pandas frames
        frame = frame.to_pandas()
    if frame.empty:
        return {}
    batch_definition, suite, reasons = _validation(int(now_epoch_s // 86_400))
    frame = frame.reset_index(drop=True)  # index i is row i: how GX names the failing rows
    positions, subs = frame["position"].to_numpy(), frame["sub"].to_numpy()
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format=RESULT_FORMAT
    )
    failures: dict[tuple[int, int], list[str]] = defaultdict(list)
    for outcome in result.results:
        reason = reasons[str(outcome.expectation_config.id)]
        if (error := _raised(outcome.exception_info)) is not None:
            # GX reports an expectation it could not evaluate as merely failed, with no rows listed:
            # passing those rows on would store them unchecked
            raise IngestError(
                f"Great Expectations could not check {reason!r}: {error}",
                hint="this is a bug in paritylab (the validation frame lacks a column): please report it",
            )
        for index in outcome.result.get("unexpected_index_list") or []:
            failures[(int(positions[index]), int(subs[index]))].append(reason)
    return dict(failures)


def _raised(info: Any) -> str | None:
    """The message of an exception GX caught while evaluating an expectation (`exception_info` is one
    record, or one per metric), or None."""
    records = [info] if isinstance(info, dict) and "raised_exception" in info else (info or {}).values()
    for record in records:
        if isinstance(record, dict) and record.get("raised_exception"):
            return str(record.get("exception_message") or "an exception")
    return None
