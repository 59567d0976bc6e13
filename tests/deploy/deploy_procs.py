"""Long-lived processes for the deployment tests, each in its own process group, always stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Started:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def start(name: str, cmd: list[str], env: dict[str, str], cwd: Path, logs: Path) -> Started:
    """Start `cmd` as the leader of a new process group, output to logs/name.log."""
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Started(name, popen, log)


def stop(proc: Started, grace_s: float = 8.0) -> None:
    """SIGTERM the group and every descendant (flow runs, Dask workers may sit in groups of their own),
    SIGKILL what is left after `grace_s`; returns once none of them is alive."""
    try:
        family = [psutil.Process(proc.popen.pid), *psutil.Process(proc.popen.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    _signal_all(proc.popen.pid, family, signal.SIGTERM)
    _, alive = psutil.wait_procs(family, timeout=grace_s)
    if alive:
        _signal_all(proc.popen.pid, alive, signal.SIGKILL)
        _, alive = psutil.wait_procs(alive, timeout=5)
    proc.popen.wait(timeout=5)
    assert not alive, f"{proc.name}: processes still alive: {[p.pid for p in alive]}"


def _signal_all(pgid: int, procs: list[psutil.Process], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.send_signal(sig)


def wait_healthy(url: str, server: Started, timeout_s: float) -> float:
    """Seconds until GET {url}/health answers 200; fails with the server's log on timeout or exit."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if server.popen.poll() is not None:
            raise AssertionError(f"prefect server exited early:\n{server.tail()}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after {timeout_s} s:\n{server.tail()}")
