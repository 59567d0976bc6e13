"""Mine the failing production logs of a window into a new eval-dataset version."""

from __future__ import annotations

from datetime import datetime

from paritylab._env import apply_env_defaults

apply_env_defaults()

from prefect import flow  # noqa: E402

from paritylab.cases.mine import MineResult  # noqa: E402
from tasks.calls import load_config  # noqa: E402
from tasks.cases import mine_window, publish_mining_summary  # noqa: E402


@flow(name="mine-failures", log_prints=True)
def mine_failures(
    start: datetime | None = None,
    end: datetime | None = None,
    config: str | None = None,
    store: str | None = None,
) -> MineResult:
    """Failures of logs with start <= ts < end become cases; `result.version` is the new dataset version
    (None: nothing new, no version written)."""
    settings = load_config(config, store)
    result = mine_window(settings, start, end)
    publish_mining_summary(result)
    return result
