"""Task runners: threads by default; Dask (prefect-dask) to scale heavy tasks out over processes."""

from __future__ import annotations

from typing import Any, Literal

from paritylab.errors import ConfigError

RunnerKind = Literal["threads", "dask"]


def task_runner(kind: RunnerKind, dask_workers: int = 2, max_threads: int = 4) -> Any:
    """A fresh task runner of that kind. Dask needs a Prefect server (PREFECT_API_URL): with the
    ephemeral API every Dask worker would try to start a server of its own and fail."""
    if kind == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=max_threads)
    if kind != "dask":
        raise ConfigError(f"unknown task runner '{kind}'", hint="use 'threads' or 'dask'")
    _require_server()
    from prefect_dask import DaskTaskRunner

    # No dashboard: it would claim port 8787 (and a second cluster would fight over it).
    cluster = {
        "n_workers": dask_workers,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
    }
    return DaskTaskRunner(cluster_kwargs=cluster)


def _require_server() -> None:
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        raise ConfigError(
            "the Dask task runner needs a Prefect server, but PREFECT_API_URL is not set",
            hint="start one (`prefect server start`) and export PREFECT_API_URL=http://127.0.0.1:4200/api, "
            "or use task_runner='threads'",
        )
