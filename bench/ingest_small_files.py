"""Ingest of a folder of small log files (log rotation, one file per pod or per minute): files/s and rows/s
with small files staged in groups (the default), against the same files ingested one at a time, where
each file pays a batch's fixed costs alone (a scan, a parse, a Great Expectations run, a redaction, a
transaction). Both runs are warm: Great Expectations is imported by a first, untimed ingest.

    python bench/ingest_small_files.py [--files 500] [--lines 20] [--alone 60]

`--alone` files (the first ones) are ingested one at a time, to keep the run short; per-file figures
compare.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import peak_rss_mb
from ingest import generate

from paritylab.config import IngestConfig, Settings
from paritylab.ingest import run
from paritylab.ingest.run import ingest_paths


def split(source: Path, folder: Path, files: int, lines: int) -> list[Path]:
    rows = source.read_text().splitlines()
    paths = []
    for i in range(files):
        path = folder / f"calls-{i:05d}.jsonl"
        path.write_text("\n".join(rows[i * lines : (i + 1) * lines]) + "\n")
        paths.append(path)
    return paths


def timed_ingest(store: Path, paths: list[Path], cfg: IngestConfig) -> tuple[float, int, bool]:
    started = time.perf_counter()
    summaries = ingest_paths(Settings(store=store, ingest=cfg), [str(p) for p in paths])
    seconds = time.perf_counter() - started
    return seconds, sum(s.seen for s in summaries), all(s.reconciles() for s in summaries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--alone", type=int, default=60)
    args = parser.parse_args()
    cfg = IngestConfig(sample_rate=0.1, latency_slo_ms=2500)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "all.jsonl", args.files * args.lines)
        (root / "logs").mkdir()
        paths = split(root / "all.jsonl", root / "logs", args.files, args.lines)
        timed_ingest(root / "warm.duckdb", paths[:1], cfg)  # imports Great Expectations (validator process)
        grouped_s, seen, ok = timed_ingest(root / "grouped.duckdb", paths, cfg)
        run.GROUP_FILE_MAX_BYTES = -1  # every file a group of its own, as before grouping
        alone = paths[: args.alone]
        alone_s, _, alone_ok = timed_ingest(root / "alone.duckdb", alone, cfg)
    per_grouped, per_alone = grouped_s / len(paths) * 1000, alone_s / len(alone) * 1000
    print(f"{args.files} files of {args.lines} lines ({seen} lines), sample rate 0.1")
    rates = f"{len(paths) / grouped_s:.0f} files/s, {seen / grouped_s / 1000:.1f}k rows/s"
    print(f"staged in groups: {grouped_s:.2f} s = {per_grouped:.1f} ms a file, {rates}; reconciles: {ok}")
    print(
        f"one at a time ({len(alone)} files): {alone_s:.2f} s = {per_alone:.0f} ms a file; reconciles: "
        f"{alone_ok}; groups are {per_alone / per_grouped:.0f}x faster a file"
    )
    print(f"peak RSS: {peak_rss_mb():.0f} MB (this process)")


if __name__ == "__main__":
    main()
