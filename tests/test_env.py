"""The process-wide defaults of paritylab._env, as a fresh process started without them gets them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from paritylab._env import ALLOCATOR_DEFAULTS, QUIET_DEFAULTS

# prints whether the process may have transparent huge pages after paritylab's defaults and pyarrow
# (whose allocator reads MIMALLOC_ALLOW_THP when it loads): prctl(PR_GET_THP_DISABLE) is 1 when not
THP_AFTER_DEFAULTS = """
import ctypes, os
PR_SET_THP_DISABLE, PR_GET_THP_DISABLE = 41, 42
prctl = ctypes.CDLL(None, use_errno=True).prctl
prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0)  # as a shell starts it: the flag is inherited from the test process
from paritylab._env import apply_env_defaults
apply_env_defaults()
import pyarrow as pa
pa.allocate_buffer(64 << 20)  # the allocator is set up by its first allocation at the latest
print(os.environ.get("MIMALLOC_ALLOW_THP", "unset"), prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0))
"""


def _fresh_process(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in QUIET_DEFAULTS and k not in ALLOCATOR_DEFAULTS}
    run = [sys.executable, "-c", code]
    done = subprocess.run(run, env={**clean, **env}, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr  # the child's traceback, not CalledProcessError's summary
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl and transparent huge pages: Linux")
def test_huge_pages_are_off_for_the_process_unless_the_user_set_the_allocator_option() -> None:
    assert _fresh_process(THP_AFTER_DEFAULTS) == "0 1"
    assert _fresh_process(THP_AFTER_DEFAULTS, MIMALLOC_ALLOW_THP="1") == "1 0"


def test_telemetry_defaults_are_set_and_the_users_values_win() -> None:
    code = (
        "import os; from paritylab._env import apply_env_defaults; apply_env_defaults(); "
        "print(os.environ['DO_NOT_TRACK'], os.environ['GX_ANALYTICS_ENABLED'])"
    )
    assert _fresh_process(code) == "1 false"
    assert _fresh_process(code, GX_ANALYTICS_ENABLED="true") == "1 true"
