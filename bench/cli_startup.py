"""Start-up time of `paritylab --help` (target < 0.5 s): heavy libraries must be imported lazily.

python bench/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

LIMIT_S = 0.5


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    cmd = [sys.executable, "-m", "paritylab.cli", "--help"]
    subprocess.run(cmd, check=True, capture_output=True)  # warm the OS file cache
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    bare = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
    median, worst = statistics.median(times), max(times)
    print(
        f"paritylab --help: median {median * 1000:.0f} ms, worst {worst * 1000:.0f} ms "
        f"over {args.runs} runs; "
        f"ratio to the {LIMIT_S * 1000:.0f} ms limit {median / LIMIT_S:.2f}"
    )
    print(f"bare interpreter start: median {statistics.median(bare) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
