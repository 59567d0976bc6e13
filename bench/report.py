"""Report rendering at scale: 10,000 cases x 3 candidates (7 nights of history) -> one HTML file.

Target (issue 7): renders in < 3 s into < 5 MB. Prints both, their ratios to the targets, the JSON size
and peak RSS. The store is built first (not timed) with paritylab.report.sample.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import peak_rss_mb

from paritylab.report import render_report
from paritylab.report.sample import SamplePlan, build_sample_store
from paritylab.store import open_store

TARGET_S, TARGET_MB = 3.0, 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--nights", type=int, default=7)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="paritylab-bench-report-") as tmp,
        open_store(Path(tmp) / "bench.duckdb") as db,
    ):
        t0 = time.perf_counter()
        run_ids = build_sample_store(db, SamplePlan(n_cases=args.cases, nights=args.nights, payloads=True))
        built = time.perf_counter() - t0
        rows = db.rows(
            "SELECT (SELECT count(*) FROM scores) AS scores, (SELECT count(*) FROM outputs) AS outputs"
        )[0]
        t0 = time.perf_counter()
        paths = render_report(db, run_ids[-1], Path(tmp) / "reports")
        seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        render_report(db, run_ids[-1], Path(tmp) / "reports")
        warm = time.perf_counter() - t0
        html_mb = paths.html.stat().st_size / 1e6
        json_mb = paths.json.stat().st_size / 1e6
    print(
        f"store: {args.cases:,} cases x 3 candidates x {args.nights} nights "
        f"({rows['outputs']:,} outputs, {rows['scores']:,} scores), built in {built:.1f} s"
    )
    print(
        f"render (cold: first template compile included): {seconds:.2f} s  "
        f"(target < {TARGET_S:.0f} s: {seconds / TARGET_S:.2f} of it); again: {warm:.2f} s"
    )
    print(
        f"html: {html_mb:.2f} MB  (target < {TARGET_MB:.0f} MB: {html_mb / TARGET_MB:.2f} of it); "
        f"json: {json_mb:.2f} MB"
    )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
