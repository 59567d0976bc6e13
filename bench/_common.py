"""Shared bench helpers: a sim-serve subprocess on a free loopback port, and peak RSS."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from paritylab._env import apply_env_defaults

apply_env_defaults()


@contextmanager
def sim_serve_process(*args: str) -> Iterator[str]:
    """Run `paritylab sim-serve` in its own process (its own core), yield its base URL."""
    cmd = [sys.executable, "-m", "paritylab.cli", "sim-serve", "--port", "0", *args]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not match:
            raise RuntimeError(f"sim-serve did not start: {line}{proc.stderr.read()}")
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prompt(i: int) -> str:
    return (
        "<context>\nRefunds for annual plans are available within 30 days of purchase. Approved refunds are "
        "returned to the original payment method within 5 to 10 business days.\n</context>\n"
        f"<question>\nHow long do refunds take? (ticket {i})\n</question>"
    )
