"""One Prefect API server for a whole test session, shared by its xdist workers.

`prefect_test_harness` starts a server per process: its SQLite migrations and imports took 15-20 s on a
laptop and 268 s on a CI machine, once per xdist worker, both at the same time. Here the first process
that needs the API starts the same server the harness starts (uvicorn over Prefect's app factory, a
temporary SQLite database, no UI); the others find it in a state file under the session's shared
temporary folder, and the process that owns the session (xdist's controller, or the only process)
stops it when the session ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# Set by the session's first process (pytest_configure), inherited by xdist's workers. Not PARITYLAB_*:
# conftest removes those.
SHARED_DIR_VAR = "PYTEST_PARITYLAB_SHARED_DIR"
STATE = "prefect-api.json"
_started: list[subprocess.Popen[bytes]] = []  # kept so the server is not reaped as garbage


def claim_shared_dir() -> bool:
    """Create the session's shared folder unless a parent process did; True if this process owns it."""
    if os.environ.get(SHARED_DIR_VAR):
        return False
    os.environ[SHARED_DIR_VAR] = tempfile.mkdtemp(prefix="paritylab-session-")
    return True


def shared_api_url(startup_timeout_s: float) -> str:
    """The session's Prefect API URL, starting its server if no process has yet; waits until healthy."""
    shared = Path(os.environ[SHARED_DIR_VAR])
    with (shared / "prefect-api.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one starter; the other worker waits for the state file
        state = shared / STATE
        if not state.exists():
            state.write_text(json.dumps(_start_server(shared)))
        info = json.loads(state.read_text())
    _wait_healthy(info["url"], Path(info["log"]), startup_timeout_s)
    return str(info["url"])


def _start_server(shared: Path) -> dict[str, object]:
    port = _free_port()
    log = shared / "prefect-api.log"
    env = {
        **os.environ,
        "PREFECT_HOME": str(shared / "prefect-home"),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{shared / 'prefect.db'}",
        # what prefect_test_harness's server runs with (prefect.server.api.server.SubprocessASGIServer)
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    env.pop("PREFECT_API_URL", None)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _started.append(proc)
    return {"url": f"http://127.0.0.1:{port}/api", "pid": proc.pid, "log": str(log)}


def _wait_healthy(url: str, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/health", timeout=10) as answer:
            if answer.status == 200:
                return
        time.sleep(1)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    raise RuntimeError(f"the session's Prefect API at {url} was not healthy after {timeout_s:.0f} s:\n{tail}")


def stop_shared_server() -> None:
    """Stop the session's server if one was started (called by the process that owns the session)."""
    shared = os.environ.get(SHARED_DIR_VAR)
    state = Path(shared) / STATE if shared else None
    if state is None or not state.exists():
        return
    pid = int(json.loads(state.read_text())["pid"])
    for sig, grace_s in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        if _gone(pid, grace_s):
            return


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        for proc in _started:  # our own child: reap it
            proc.poll()
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
