"""Process-wide environment defaults: telemetry off, Hugging Face offline, no transparent huge pages.

Called by the CLI entry point, the test suite and the Prefect flows *before* any heavy import, because
several libraries read these variables once at import time. Values already set by the user win.
"""

from __future__ import annotations

import os

QUIET_DEFAULTS: dict[str, str] = {
    "DO_NOT_TRACK": "1",  # Prefect client telemetry
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # Prefect server heartbeat, ephemeral mode too
    "RAGAS_DO_NOT_TRACK": "true",  # must be "true": "1" still sends
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # How long a flow waits for Prefect's ephemeral API to start (default 20 s): a cold start took 15-20 s
    # on a laptop and 268 s on a loaded 2-core CI machine. Waiting costs nothing when the start is fast.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "900",
    "GX_ANALYTICS_ENABLED": "false",
    # An ephemeral API started by our flows (the demo, the tests) need not register Prefect's block types:
    # paritylab uses no blocks, and the registration was most of a 10-minute start on a slow CI machine.
    "PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
}
# Read by Arrow's allocator (mimalloc) when pyarrow loads. Allowed transparent huge pages, it asks for
# them on its 1 GiB arenas, and each 2 MB page is zeroed (and compacted for) in the fault that first
# touches it: the ingest's reader splitting 607 MB of lines into new Arrow buffers spent ~10% of the
# ingest's CPU in those faults (perf). Set to 0, mimalloc turns huge pages off for the whole process
# (prctl PR_SET_THP_DISABLE, inherited by its children). Cold 1M-line ingest, 6 interleaved pairs:
# 5.52 vs 5.73 s, system CPU 0.87 vs 1.38 s; the next ingest in the same process: equal (4.73 vs 4.81 s).
ALLOCATOR_DEFAULTS: dict[str, str] = {"MIMALLOC_ALLOW_THP": "0"}


def apply_env_defaults() -> None:
    """Turn telemetry off, keep Hugging Face offline and huge pages off unless the user chose otherwise."""
    for key, value in {**QUIET_DEFAULTS, **ALLOCATOR_DEFAULTS}.items():
        os.environ.setdefault(key, value)
