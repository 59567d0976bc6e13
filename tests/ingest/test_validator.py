"""The Great Expectations validator process: the same answers as validating in-process, a crash that
loses nothing, errors that reach the caller, and GX's unused imports deferred there. (That the caller's
script is not run again there: test_ingest_pipeline's child, a script without a main guard.)"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from paritylab.config import IngestConfig
from paritylab.errors import IngestError
from paritylab.ingest import pipeline, stage, validate, validator
from paritylab.ingest.pipeline import detect_format
from paritylab.store import Store
from tests.ingest.test_ingest_pipeline import SAMPLE_LOGS
from tests.ingest.test_malformed import wrapper

NOW = 1_795_000_000.0


def frame() -> pd.DataFrame:
    rows = [
        # position, sub, log_id_len, ts, app_len, model_len, status, input_len, output_len, ..., feedback
        (1, 0, 10, NOW - 60, 3, 5, "ok", 10, 5, 10, 5, 100.0, 0.01, 1),
        (2, 0, None, NOW - 60, 3, 5, "ok", 10, 5, 10, 5, 100.0, 0.01, None),
        (3, 0, 10, 0.0, 3, 0, "maybe", 10, None, -1, 5, 100.0, 0.01, 7),
        (4, 2, 10, NOW - 60, 3, 5, "error", 10, None, 10, 5, 9e9, 0.01, -1),
    ]
    return pd.DataFrame(rows, columns=validate.VALIDATED_COLUMNS)


def no_output_frame() -> pd.DataFrame:
    """Rows for the one expectation with a row condition (output required where status is ok)."""
    return pd.concat([frame().iloc[[0]]] * 3, ignore_index=True).assign(
        position=[5, 6, 7], output_len=[None, 4, None], status=["ok", "ok", "error"]
    )


def test_the_validator_process_answers_as_validating_here_does() -> None:
    """Over there GX imports without its SQL support (hide_sql_support), here with it: the same answers."""
    expected = validate.validate_frame(frame(), NOW)
    assert set(expected) == {(2, 0), (3, 0), (4, 2)} and len(expected[(3, 0)]) >= 5
    assert validate.submit(frame(), NOW)() == expected
    conditional = validate.validate_frame(no_output_frame(), NOW)
    assert conditional == {(5, 0): ["a successful call has no output"]}
    assert validate.submit(no_output_frame(), NOW)() == conditional
    cpu, rss = validate.validator_usage()
    assert cpu > 0.5 and rss > 50  # Great Expectations was imported over there


def test_a_validator_that_dies_is_replaced_and_its_batch_validated_here() -> None:
    expected = validate.validate_frame(frame(), NOW)
    first = validator.validator()
    validate.submit(frame(), NOW)()  # alive and serving
    os.kill(first.pid, signal.SIGKILL)  # the next request meets a closed pipe, or no reply
    assert validate.submit(frame(), NOW)() == expected  # answered in this process
    assert validator.validator() is not first and validate.submit(frame(), NOW)() == expected


def test_an_expectation_gx_cannot_evaluate_is_an_error_here_and_over_there() -> None:
    """GX reports it as merely failed, with no rows: the batch would pass unchecked."""
    with pytest.raises(IngestError, match=r"could not check 'status is not ok/error'.*status"):
        validate.validate_frame(frame().drop(columns=["status"]), NOW)
    with pytest.raises(IngestError, match=r"could not check 'status is not ok/error'.*status"):
        validate.submit(frame().drop(columns=["status"]), NOW)()
    assert validate.submit(frame(), NOW)() == validate.validate_frame(frame(), NOW)  # still serving


def test_the_validator_process_defers_scipy_stats_and_altair_and_hides_sqlalchemy() -> None:
    """GX imports scipy.stats and altair for expectations our suite never runs: the validator process
    loads them on first use only (~1 CPU-s of GX's import), validating does not use them, and it never
    imports sqlalchemy. Asked of this session's validator process (a fresh one costs minutes of GX
    import on a slow CI machine); that a stand-in works once used: the next test."""
    assert validate.submit(frame(), NOW)() == validate.validate_frame(frame(), NOW)
    states = validator.validator().call("modules").result()
    assert states == {"scipy.stats": "deferred", "altair": "deferred", "sqlalchemy": "hidden"}


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the child's /proc environ")
def test_the_validator_process_starts_without_openblas_threads_unless_the_user_set_them() -> None:
    """numpy's OpenBLAS thread pool is ~0.1 CPU-s of the child's GX import: its default is one thread.
    A value the user set reaches it unchanged."""
    validate.submit(frame(), NOW)()
    child = validator.validator()
    environ = Path(f"/proc/{child.pid}/environ").read_bytes().split(b"\0")
    user = os.environ.get("OPENBLAS_NUM_THREADS")
    assert f"OPENBLAS_NUM_THREADS={user or 1}".encode() in environ


def test_a_deferred_module_loads_when_used_through_a_fresh_import_or_a_name_bound_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As GX binds `scipy.stats` and `altair` at its import and uses them (if ever) later: a submodule
    deferred, then bound by another module's import, is loaded by its first use, and a fresh import
    finds the real module."""
    package = tmp_path / "deferral_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "stats.py").write_text("import math\nENTROPY = round(math.log(2), 3)\n")
    (tmp_path / "deferral_probe_user.py").write_text("from deferral_probe import stats as bound\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    names = ("deferral_probe", "deferral_probe.stats", "deferral_probe_user")
    try:
        validator._defer_import("deferral_probe.stats")
        import deferral_probe_user  # type: ignore[import-not-found]

        assert isinstance(sys.modules["deferral_probe.stats"], validator._ImportedOnFirstUse)
        assert "ENTROPY" not in vars(deferral_probe_user.bound)  # bound, not loaded
        assert deferral_probe_user.bound.ENTROPY == 0.693  # the first use loads it
        from deferral_probe import stats  # type: ignore[import-not-found]

        assert type(sys.modules["deferral_probe.stats"]) is type(sys) and stats.ENTROPY == 0.693
    finally:
        for name in names:
            sys.modules.pop(name, None)


def test_failing_rows_are_named_by_position_and_sub_whatever_the_frame_index() -> None:
    """GX names failing rows by the frame's index; each maps back to its (position, sub), with every
    reason, also for an expectation on some rows only (output required where status is ok)."""
    rows = frame()
    expected = {
        (2, 0): ["log_id is missing"],
        (3, 0): [
            "timestamp is before 2015 or in the future",
            "model name is empty or longer than 200 characters",
            "status is not ok/error",
            "input_tokens is negative or above 2000000",
            "feedback is not +1 or -1",
        ],
        (4, 2): ["latency_ms is negative or above one hour"],
    }
    assert validate.validate_frame(rows, NOW) == expected
    shuffled = rows.iloc[[3, 1, 0, 2]].set_axis([40, 7, 7, 2])  # a shuffled frame with repeated labels
    assert validate.validate_frame(shuffled, NOW) == expected
    assert validate.validate_frame(no_output_frame(), NOW) == {(5, 0): ["a successful call has no output"]}


# The frame as DuckDB's own pandas conversion makes it (the ingest's, before it handed Arrow over). Then
# latency_ms and cost_usd were not cast: OTLP spans have no cost (an untyped NULL), which came as object.
PANDAS_FRAME_SQL = """SELECT position, sub, epoch(ts) AS ts_epoch_s, status, latency_ms::DOUBLE AS latency_ms,
    cost_usd::DOUBLE AS cost_usd,
    length(log_id)::DOUBLE AS log_id_len, length(app)::DOUBLE AS app_len, length(model)::DOUBLE AS model_len,
    length(input_text)::DOUBLE AS input_len, length(output_text)::DOUBLE AS output_len,
    input_tokens::DOUBLE AS input_tokens, output_tokens::DOUBLE AS output_tokens,
    feedback::DOUBLE AS feedback FROM stage_kept"""


@pytest.mark.parametrize("name", [*sorted(p.name for p in SAMPLE_LOGS.iterdir()), "gx-failures.jsonl"])
def test_the_arrow_validation_frame_is_the_frame_duckdb_hands_pandas(
    store: Store, tmp_path: Path, name: str
) -> None:
    """The ingest hands the validator Arrow (it need not import pandas); made into pandas over there it
    is the frame DuckDB's own conversion makes, dtypes and NULLs included (GX's checks depend on them),
    in every format, and GX fails the same rows with the same reasons."""
    path = SAMPLE_LOGS / name
    if not path.exists():  # rows GX rejects: out of range, not in the set, future timestamps
        path = tmp_path / name
        bad = [
            {"latency_ms": -5, "feedback": 7, "input_tokens": None},
            {"ts": "2031-01-01T00:00:00Z", "ok": False, "response": None, "est_cost_usd": None},
            {"ts": "2012-01-01T00:00:00Z", "output_tokens": -1, "app": None, "feedback": -1},
        ]
        lines = [json.dumps(wrapper(request_id=f"r{i}", **kw)) for i, kw in enumerate(bad)]
        path.write_text("\n".join([*lines, json.dumps(wrapper(request_id="fine"))]) + "\n")
    fmt = detect_format(path)
    cfg = IngestConfig(sample_rate=1.0)
    pipeline._stage_group(store.con, [path], fmt, cfg, progress=None, digests=[None])
    stage.parse_sampled(store.con, fmt, cfg, lambda files: iter(()))
    stage.split_parsed(store.con)
    stage.sample(store.con, cfg)
    reference = store.con.execute(PANDAS_FRAME_SQL).df()
    arrow = stage.validation_frame(store.con)
    assert arrow.num_rows == len(reference) > 0
    made = arrow.to_pandas()
    pd.testing.assert_frame_equal(made[list(reference.columns)], reference, check_exact=True)
    numbers = {c: str(made[c].dtype) for c in made.columns if c != "status"}
    assert numbers == {c: "int64" if c in ("position", "sub") else "float64" for c in numbers}
    now = time.time()
    failures = validate.validate_frame(arrow, now)
    assert failures == validate.validate_frame(reference, now) == validate.submit(arrow, now)()
    assert bool(failures) == (name == "gx-failures.jsonl")


def test_a_big_frame_is_validated_in_slices_with_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """SLICE_ROWS at a time (the validator's memory stays bounded): pandas or Arrow, in the validator
    process or here, the failures are those of the frame validated whole."""
    import pyarrow as pa

    rows = pd.concat([frame(), no_output_frame()], ignore_index=True)
    whole = validate.validate_frame(rows, NOW)
    assert len(whole) == 4
    monkeypatch.setattr(validate, "SLICE_ROWS", 2)
    arrow = pa.Table.from_pandas(rows, preserve_index=False)
    parts = validate._slices(arrow)
    assert [p.num_rows for p in parts] == [2, 2, 2, 1]
    assert validate.submit(rows, NOW)() == validate.submit(arrow, NOW)() == whole
    assert validate._validate_here(validate._slices(rows), NOW) == whole
    monkeypatch.setattr(validate, "SLICE_ROWS", 500)
    many = pa.concat_tables([arrow] * 300)  # slices are copies: a view would pickle all of its buffers
    pickled = [len(pickle.dumps(part)) for part in validate._slices(many)]
    assert len(pickled) == 5 and sum(pickled) < 2 * len(pickle.dumps(many))
