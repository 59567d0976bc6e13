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
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",  # cold start measured 15-20 s
    "GX_ANALYTICS_ENABLED": "false",
}


def apply_quiet_defaults() -> None:
    """Turn telemetry off and keep Hugging Face offline unless the user chose otherwise."""
    for key, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(key, value)
