"""The validator process: Great Expectations in a fresh interpreter beside the ingest.

Importing GX is ~1.5 CPU-s of pure Python (with `hide_sql_support` and `defer_unused_imports`; ~2.8
without). In a thread it holds the GIL that long and stalls the ingest's reader and DuckDB's Arrow
scans (cold 1M-row ingest, when this process was introduced: 8.8 s with the import in a thread, 7.5 s
with it in another process, 6.0 s with GX imported already); validating there also leaves the GIL to
the redaction that runs meanwhile. One process per paritylab process, started when an ingest starts,
reused by the next. `python -m paritylab.ingest.validator` is the child; its own pipe protocol (not
multiprocessing's spawn, which would re-run an unguarded `__main__` script in the child).

Protocol: length-prefixed pickles over the child's stdin / a private copy of its stdout (fd 1 itself
goes to stderr, so nothing GX prints can corrupt the stream). Request (name, args), reply (ok, value).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.util
import os
import pickle
import struct
import subprocess
import sys
import threading
import types
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

_HEADER = struct.Struct("!Q")
DEFERRED_MODULES = ("scipy.stats", "altair")  # see defer_unused_imports
HIDDEN_MODULES = ("sqlalchemy",)  # see hide_sql_support
# The child's environment defaults (the user's own values win). GX never multiplies matrices: without
# OpenBLAS's thread pool, which numpy starts on import (its threads spin a while), importing GX took
# 1.19-1.28 instead of 1.32-1.35 CPU-s, paid while the ingest scans.
CHILD_ENV_DEFAULTS = {"OPENBLAS_NUM_THREADS": "1"}


class ValidatorGone(Exception):
    """The validator process ended (or never started); the caller validates in-process."""


def _send(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))  # apart: header + data would copy a frame's pickle once more
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("validator stream closed")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("validator stream closed mid-message")
    return pickle.loads(data)  # our own child process, over its private pipe: trusted


class Validator:
    """The parent's handle: `call` runs a function of `paritylab.ingest.validate` in the child, in a
    background thread (the request is written while the child may still be importing)."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "paritylab.ingest.validator"],
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paritylab-validator")
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def call(self, name: str, *args: object) -> Future[Any]:
        return self._thread.submit(self._roundtrip, name, args)

    def _roundtrip(self, name: str, args: tuple[object, ...]) -> Any:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        with self._lock:
            try:
                _send(self._proc.stdin, (name, args))
                ok, value = _receive(self._proc.stdout)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                raise ValidatorGone(f"the validator process ended: {exc}") from exc
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """End the child now: an import or a validation nobody waits for is not finished."""
        self._thread.shutdown(wait=False, cancel_futures=True)
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        if self._proc.poll() is None:
            self._proc.kill()  # do not wait for an import nobody needs any more
        self._proc.wait()


_instance: list[Validator] = []
_starting = threading.Lock()  # ingests in several threads still share one validator


def validator() -> Validator:
    """This process's validator, started on first use."""
    with _starting:
        if not _instance:
            _instance.append(Validator())
            atexit.register(_instance[0].close)
        return _instance[0]


def running() -> bool:
    """Whether this process has started its validator (and not dropped it since)."""
    return bool(_instance)


def forget() -> None:
    """Drop a validator that failed: the next ingest starts a new one."""
    with _starting:
        if _instance:
            gone = _instance.pop()
            atexit.unregister(gone.close)
            gone.close()


def _serve() -> None:
    """The child: answer requests until stdin closes."""
    from paritylab._env import apply_env_defaults

    apply_env_defaults()  # an entry point of its own: GX telemetry off before GX is imported
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints (GX, pandas warnings) go to stderr, never into the protocol stream
    from paritylab.ingest import validate

    prepare_gx_import()
    with contextlib.suppress(Exception):  # first, while the ingest reads; a failure shows in validate
        validate.import_gx()
    handlers: dict[str, Callable[..., Any]] = {
        "validate": validate.validate_frame,
        "usage": validate.process_usage,
        "modules": module_states,
    }
    while True:
        try:
            name, args = _receive(sys.stdin.buffer)
        except EOFError:
            return
        try:
            reply: tuple[bool, Any] = (True, handlers[name](*args))
        except Exception as exc:  # handed to the caller, which raises it there
            reply = (False, _picklable(exc))
        _send(out, reply)


def child_env() -> dict[str, str]:
    """The validator process's environment: this one's, over CHILD_ENV_DEFAULTS."""
    return {**CHILD_ENV_DEFAULTS, **os.environ}


def prepare_gx_import() -> None:
    """What the validator process does before importing GX (benchmarks measure the import after it)."""
    hide_sql_support()
    defer_unused_imports()


def module_states() -> dict[str, str]:
    """How this process holds the modules it defers or hides: 'deferred' (a stand-in, never used),
    'loaded', 'hidden' (importing it raises, and none of its submodules is loaded) or 'absent'. Asked of
    the validator process ("modules"): which of GX's imports a change made it pay again."""
    states = {}
    for name in (*DEFERRED_MODULES, *HIDDEN_MODULES):
        if name not in sys.modules:
            states[name] = "absent"
        elif sys.modules[name] is None:  # hidden: then only a submodule loaded anyway makes it 'loaded'
            loaded = any(m.startswith(f"{name}.") and sys.modules[m] is not None for m in sys.modules)
            states[name] = "loaded" if loaded else "hidden"
        else:
            states[name] = "deferred" if isinstance(sys.modules[name], _ImportedOnFirstUse) else "loaded"
    return states


def defer_unused_imports() -> None:
    """Before importing GX: the modules it imports for features our suite never uses are loaded on
    first use only. scipy.stats (distribution expectations) and altair (charts of one of them) are
    0.75 and 0.25 of the ~2.8 CPU-s of `import great_expectations`, paid while the ingest scans. Any use
    still loads them."""
    for name in DEFERRED_MODULES:
        _defer_import(name)


def hide_sql_support() -> None:
    """Before importing GX: this process validates pandas frames only, so GX imports as if its `sql`
    extra (sqlalchemy, which Prefect brings along) were not installed: GX's own pandas-only install,
    which it supports. Its SQL datasources and metrics are then not built: ~0.25 CPU-s less importing,
    ~0.1 s less in the first validation. Only this process: the ingest's own keeps sqlalchemy."""
    for name in HIDDEN_MODULES:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # `import` raises ModuleNotFoundError


class _ImportedOnFirstUse(types.ModuleType):
    """Stands in for a module in sys.modules until code reads one of its attributes; then the module is
    imported and this one takes on its attributes. Not importlib's LazyLoader: the module that one
    makes loads as soon as the import system looks at its `__spec__`, which Python 3.11 does for every
    `import altair` (and GX has one)."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):  # the import system's probes are not a use
            raise AttributeError(attr)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)  # later reads find the attributes without coming here
        return getattr(real, attr)


def _defer_import(name: str) -> None:
    """Put a stand-in for `name` in sys.modules (and on its parent package)."""
    if name in sys.modules:
        return
    with contextlib.suppress(ImportError, ValueError):  # not installed: GX will say so itself
        if importlib.util.find_spec(name) is None:  # (imports the parent package, if any)
            return
        module = _ImportedOnFirstUse(name)
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    _serve()
