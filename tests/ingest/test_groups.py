"""Small files are staged in groups; each file must still come out as the batch it would be alone: the same
rows stored, quarantined and counted, as if the files had been ingested one after the other."""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from paritylab.config import IngestConfig, Settings, load_settings
from paritylab.errors import IngestError
from paritylab.ingest import run
from paritylab.ingest.run import ingest_paths
from paritylab.store import open_store
from tests.ingest.test_ingest_pipeline import SAMPLE_LOGS
from tests.ingest.test_malformed import w

NOT_COMPARED = {"batch_id", "seconds", "timings", "cpu_timings", "staged_with", "started_at"}


def _folder(root: Path) -> Path:
    """The sample logs (three formats, gzip, logging lines) and small files made to cross each other:
    ids repeated within and across files, a file's copy, an empty file, a format change between."""
    logs = root / "logs"
    shutil.copytree(SAMPLE_LOGS, logs)
    a = [
        w("r1", prompt="<question>mail me at jo@example.com</question>"),
        w("r2"),
        w("r2", response="again"),  # a duplicate in its own file: quarantined
        '{"request_id": "req_cut", "prompt": ',
        w("r9", latency_ms=-5),  # fails Great Expectations here, stored from b
        w("r3", prompt="<question>card 4111 1111 1111 1111</question>"),
        w("r10", ok=False, error="Timeout", response=None),
    ]
    b = [w("r3"), w("r9"), w("r11", feedback=-1), "", w("r1", response="seen in a")]
    (logs / "a.jsonl").write_text("\n".join(a) + "\n")
    (logs / "b.jsonl").write_text("\n".join(b) + "\n")
    (logs / "c-copy-of-a.jsonl").write_text("\n".join(a) + "\n")
    (logs / "d-empty.jsonl").write_text("")
    (logs / "e.log").write_text(
        f"INFO:llm_calls:{w('r12')}\nINFO:httpx:HTTP Request: POST https://api.example.com 200\n"
    )
    with gzip.open(logs / "f.jsonl.gz", "wt") as fh:
        fh.write("\n".join(w(f"g{i}", feedback=-1 if i % 3 == 0 else None) for i in range(40)) + "\n")
    openai = {"id": "chatcmpl-x", "request": {"model": "m", "messages": [{"role": "user", "content": "hi"}]}}
    openai["response"] = {"choices": [{"message": {"role": "assistant", "content": "hello"}}]}
    (logs / "g-openai.jsonl").write_text(json.dumps(openai) + "\n")
    (logs / "h.jsonl").write_text("\n".join([w("r13"), w("r2", response="later file")]) + "\n")
    return logs


def _store_contents(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    with open_store(settings.store) as db:
        return {
            "logs": db.rows("SELECT * EXCLUDE (batch_id) FROM stored_logs ORDER BY log_id"),
            "quarantine": db.rows(
                "SELECT * EXCLUDE (batch_id, created_at) FROM quarantine ORDER BY quarantine_id"
            ),
            "batches": db.rows(
                "SELECT * EXCLUDE (batch_id, started_at, finished_at) FROM ingest_batches ORDER BY source"
            ),
        }


@pytest.mark.parametrize(
    "cfg",
    [IngestConfig(sample_rate=1.0), IngestConfig(sample_rate=0.3), IngestConfig(sample_count=3)],
    ids=["keep all", "rate", "count"],
)
def test_grouped_files_are_stored_as_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cfg: IngestConfig
) -> None:
    logs = _folder(tmp_path)
    results = {}
    for mode in ("grouped", "alone"):
        if mode == "alone":
            monkeypatch.setattr(run, "GROUP_FILE_MAX_BYTES", -1)
        settings = load_settings(env={}, store=tmp_path / f"{mode}.duckdb").model_copy(update={"ingest": cfg})
        summaries = ingest_paths(settings, [str(logs)])
        assert all(s.reconciles() for s in summaries)
        staged = [s.staged_with for s in summaries if not s.unchanged]
        assert max(staged) > 1 if mode == "grouped" else set(staged) == {1}
        summary_fields = [{k: v for k, v in asdict(s).items() if k not in NOT_COMPARED} for s in summaries]
        results[mode] = (summary_fields, _store_contents(settings))
    assert results["grouped"] == results["alone"]
    summaries, stored = results["grouped"]
    by_name = {Path(s["source"]).name: s for s in summaries}
    assert by_name["c-copy-of-a.jsonl"]["unchanged"] and by_name["d-empty.jsonl"]["seen"] == 0
    if cfg.sample_rate == 1.0 and cfg.sample_count is None:
        assert by_name["a.jsonl"]["redactions"] == {"EMAIL": 1, "CARD": 1}
        assert (by_name["b.jsonl"]["stored"], by_name["b.jsonl"]["already_stored"]) == (2, 2)  # r9, r11
        assert by_name["h.jsonl"]["already_stored"] == 1  # r2, stored from a
        reasons = [r["reasons"] for r in stored["quarantine"] if r["source"].endswith("/a.jsonl")]
        assert sorted(" ".join(r) for r in reasons) == [
            "duplicate log id wrapper:req_r2 (first at line 2)",
            "invalid JSON: Expecting value (character 36)",
            "latency_ms is negative or above one hour",
        ]


@pytest.mark.parametrize("fmt", [None, "wrapper"], ids=["found reading its format", "found staging it"])
def test_a_file_that_cannot_be_read_leaves_the_files_before_it_stored(
    tmp_path: Path, fmt: str | None
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.jsonl").write_text(w("a1") + "\n")
    (logs / "b.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip data")
    (logs / "c.jsonl").write_text(w("c1") + "\n")
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    told: list[tuple[str, int]] = []
    with pytest.raises(IngestError, match=r"b\.jsonl\.gz"):
        ingest_paths(settings, [str(logs)], fmt, progress=lambda path, n: told.append((path.name, n)))
    with open_store(settings.store) as db:
        assert db.rows("SELECT log_id FROM stored_logs") == [{"log_id": "wrapper:req_a1"}]
        assert [Path(r["source"]).name for r in db.rows("SELECT source FROM ingest_batches")] == ["a.jsonl"]
    assert told == [("a.jsonl", 1)]  # read twice (in its group, then alone), its line counted once


def test_the_ingest_table_of_a_big_folder_lists_the_files_worth_a_look(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from paritylab.console import print_ingest
    from paritylab.ingest.batches import BatchSummary

    summaries = [
        BatchSummary(f"b{i}", f"logs/f{i:02d}.jsonl", "wrapper", seen=10, stored=10) for i in range(30)
    ]
    for i in (7, 21):
        summaries[i].stored, summaries[i].quarantined = 8, 2
    print_ingest(summaries)
    table = capsys.readouterr().out
    listed = [line for line in table.splitlines() if "logs/f" in line]
    assert [line.split()[1] for line in listed] == ["logs/f07.jsonl", "logs/f21.jsonl"]
    [others] = [line for line in table.splitlines() if "28 more files" in line]
    [total] = [line for line in table.splitlines() if "all 30 files" in line]
    assert "280" in others.split() and "296" in total.split() and "4" in total.split()


@pytest.mark.parametrize("when", ["before it is looked at", "while its group waits"])
def test_a_file_that_vanishes_leaves_the_files_before_it_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """Log rotation removes a listed file: an OSError, not an IngestError; the files before it are stored
    (one at a time they would have been), and the error is raised."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in "abc":
        (logs / f"{name}.jsonl").write_text(w(name) + "\n")
    listed = run.expand_paths([str(logs)])
    monkeypatch.setattr(run, "expand_paths", lambda paths: listed)
    if when == "before it is looked at":
        (logs / "b.jsonl").unlink()
    else:
        add = run._Groups.add

        def add_then_rotate(self: Any, path: Path, size: int, fmt: str | None) -> None:
            add(self, path, size, fmt)
            if path.name == "c.jsonl":
                (logs / "b.jsonl").unlink()

        monkeypatch.setattr(run._Groups, "add", add_then_rotate)
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    with pytest.raises((OSError, IngestError), match=r"b\.jsonl"):
        ingest_paths(settings, [str(logs)])
    with open_store(settings.store) as db:
        assert db.rows("SELECT log_id FROM stored_logs") == [{"log_id": "wrapper:req_a"}]


def test_progress_is_reported_as_files_are_read_not_after_their_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small files' lines are scanned together (up to 65,536 lines a statement): the progress bar moves
    file by file as they are read, it does not wait for the scan."""
    from paritylab.ingest import pipeline, scan

    logs = tmp_path / "logs"
    logs.mkdir()
    for name in "abc":
        (logs / f"{name}.jsonl").write_text(w(f"{name}1") + "\n" + w(f"{name}2") + "\n")
    events: list[str] = []
    scan_chunk = scan.scan_chunk

    def recorded(con: Any, table: Any, *args: Any, **kwargs: Any) -> None:
        events.append(f"scan {table.num_rows}")
        scan_chunk(con, table, *args, **kwargs)

    monkeypatch.setattr(pipeline.scan, "scan_chunk", recorded)
    settings = load_settings(env={}, store=tmp_path / "s.duckdb")
    summaries = ingest_paths(
        settings, [str(logs)], progress=lambda path, n: events.append(f"{path.name} {n}")
    )
    assert [s.staged_with for s in summaries] == [3, 3, 3] and all(s.stored == 2 for s in summaries)
    assert events == ["a.jsonl 2", "b.jsonl 2", "c.jsonl 2", "scan 6"]
