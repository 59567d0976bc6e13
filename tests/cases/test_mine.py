"""Mining the bundled sample logs: provenance, idempotence, content hashes, the version chain."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from paritylab.cases import (
    Window,
    diff_versions,
    latest_version,
    load_version_cases,
    mine_failures,
    seed_golden,
)
from paritylab.cases.versions import write_version
from paritylab.config import Settings
from paritylab.errors import DatasetError
from paritylab.store import Store, open_store

NOV18 = datetime(2026, 11, 18, tzinfo=UTC)


def _hash_on_disk(path: str) -> str:
    from datasets.fingerprint import Hasher

    import datasets

    return str(Hasher.hash(datasets.load_from_disk(path).data.table))


def test_mined_cases_trace_to_failing_origin_logs_and_rerun_adds_nothing(
    sample_store: Store, settings: Settings
) -> None:
    first = mine_failures(sample_store, settings)
    assert first.version is not None and first.version.version == 2 and first.version.parent_version == 1
    cases = load_version_cases(sample_store, settings.cases.dataset, 2)
    mined = [c for c in cases if c["failure_kind"] is not None]
    assert mined and first.failures == sum(len(c["origin_log_ids"]) for c in mined)
    for case in mined:
        assert case["group_size"] == len(case["origin_log_ids"]) > 0
        found = sample_store.rows(
            "SELECT count(*) AS n FROM logs WHERE log_id IN (SELECT unnest(?::VARCHAR[]))",
            [case["origin_log_ids"]],
        )
        assert found[0]["n"] == case["group_size"]  # every origin is a stored log
    all_origins = [log for c in mined for log in c["origin_log_ids"]]
    assert len(all_origins) == len(set(all_origins))  # a log belongs to one case only
    again = mine_failures(sample_store, settings)
    assert again.version is None and again.failures == 0 and again.already_in_cases == first.failures
    assert latest_version(sample_store, settings.cases.dataset) == 2


def test_the_refund_question_asked_many_ways_is_few_cases_with_counts(
    sample_store: Store, settings: Settings
) -> None:
    result = mine_failures(sample_store, settings)
    assert result.group_sizes[0] > 5 and len(result.group_sizes) < result.failures / 2
    assert sum(result.group_sizes) == result.failures


def test_reloaded_version_has_the_content_hash_it_was_written_with(
    sample_store: Store, settings: Settings
) -> None:
    mine_failures(sample_store, settings)
    for row in sample_store.rows("SELECT version, fingerprint, path, parquet_path FROM dataset_versions"):
        assert _hash_on_disk(row["path"]) == row["fingerprint"]
        assert Path(row["parquet_path"]).is_file()
        assert str(settings.cases.datasets_dir) in row["path"]  # under tmp, not the repo's datasets/


def test_version_chain_windows_and_diff(sample_store: Store, settings: Settings) -> None:
    name = settings.cases.dataset
    early = mine_failures(sample_store, settings, Window(end=NOV18))
    late = mine_failures(sample_store, settings, Window(start=NOV18))
    assert early.version and late.version and late.version.parent_version == early.version.version == 2
    chain = sample_store.rows(
        "SELECT version, parent_version, n_cases FROM dataset_versions ORDER BY version"
    )
    assert [(r["version"], r["parent_version"]) for r in chain] == [(1, None), (2, 1), (3, 2)]
    diff = diff_versions(sample_store, name, 2, 3)
    assert (len(diff.added), len(diff.changed), len(diff.removed)) == (
        late.version.n_added,
        late.version.n_changed,
        0,
    )
    assert len(diff.added) == len(late.new_cases) and chain[2]["n_cases"] == chain[1]["n_cases"] + len(
        diff.added
    )
    assert all("origin_log_ids" in fields for _, _, fields in diff.changed)
    assert mine_failures(sample_store, settings).version is None  # both windows mined: the whole is too


def test_golden_seed_is_version_one_once(sample_store: Store, settings: Settings) -> None:
    assert seed_golden(sample_store, settings) == 1
    assert seed_golden(sample_store, settings.cases) == 1
    rows = load_version_cases(sample_store, settings.cases.dataset, 1)
    assert len(rows) == 120 and all("golden" in r["tags"] and r["reference"] for r in rows)
    assert sample_store.rows("SELECT count(*) AS n FROM dataset_versions")[0]["n"] == 1


def test_missing_version_and_duplicate_ids_are_clear_errors(sample_store: Store, settings: Settings) -> None:
    seed_golden(sample_store, settings)
    with pytest.raises(DatasetError, match="has no version 7 \\(versions: v1\\)"):
        load_version_cases(sample_store, settings.cases.dataset, 7)
    from paritylab.cases.versions import load_cases

    [case, *_] = load_cases(sample_store, settings.cases.dataset, 1)
    with pytest.raises(DatasetError, match="appear twice"):
        write_version(sample_store, settings.cases.datasets_dir, "x", [case, case], parent=None, origin={})
    assert (
        latest_version(sample_store, "x") is None and not (settings.cases.datasets_dir / "x" / "v1").exists()
    )


def test_a_failed_database_write_leaves_no_folder_and_the_number_is_reused(
    sample_store: Store, settings: Settings
) -> None:
    from paritylab.cases.versions import load_cases

    seed_golden(sample_store, settings)
    cases = load_cases(sample_store, settings.cases.dataset, 1)
    changed = [cases[0].with_(reference="new"), *cases[1:]]

    def fail(_: Store) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_version(
            sample_store,
            settings.cases.datasets_dir,
            settings.cases.dataset,
            changed,
            parent=1,
            origin={},
            also=fail,
        )
    assert latest_version(sample_store, settings.cases.dataset) == 1
    assert not (settings.cases.datasets_dir / settings.cases.dataset / "v2").exists()
    info = write_version(
        sample_store, settings.cases.datasets_dir, settings.cases.dataset, changed, parent=1, origin={}
    )
    assert info is not None and info.version == 2 and (info.n_changed, info.n_added) == (1, 0)


def test_a_second_store_never_overwrites_the_versions_another_store_wrote(
    sample_store: Store, settings: Settings, tmp_path: Path
) -> None:
    seed_golden(sample_store, settings)
    v1 = settings.cases.datasets_dir / settings.cases.dataset / "v1"
    before = (v1 / "cases.parquet").read_bytes()
    with open_store(tmp_path / "other.duckdb") as other:
        with pytest.raises(DatasetError, match="written by another store") as err:
            seed_golden(other, settings)
        assert "datasets_dir" in (err.value.hint or "")
        assert latest_version(other, settings.cases.dataset) is None
    assert (v1 / "cases.parquet").read_bytes() == before
    assert not list(v1.parent.glob(".v1.tmp-*"))  # the other store's half-written copy is gone too
