"""Process-wide environment defaults: telemetry off, Hugging Face offline.

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


def apply_quiet_defaults() -> None:
    """Turn telemetry off and keep Hugging Face offline unless the user chose otherwise."""
    for key, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(key, value)
