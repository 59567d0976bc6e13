"""`paritylab serve`: kept out of cli.py so that file stays small. Imports only typer at module level."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    only: Annotated[list[str] | None, typer.Option("--only", help="serve just these deployments")] = None,
    store: Annotated[
        Path | None, typer.Option("--store", envvar="PARITYLAB_STORE", help="DuckDB file")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", envvar="PARITYLAB_CONFIG", help="config file")
    ] = None,
    prefect_yaml: Annotated[
        Path | None, typer.Option(help="deployments file (default: the project's)")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="at most this many flow runs at once")] = None,
) -> None:
    """Serve prefect.yaml's deployments (nightly-eval, online-eval, ...) from this one process: their
    schedules fire and runs can be triggered from the UI, with no work pool or worker. Needs a running
    `prefect server start` and PREFECT_API_URL."""
    from paritylab._env import apply_env_defaults

    apply_env_defaults()
    from prefect import serve as prefect_serve

    from paritylab.serving import PREFECT_YAML, build_deployments, read_deployments, require_server

    url = require_server()
    path = prefect_yaml or PREFECT_YAML
    overrides = {k: str(v) for k, v in {"store": store, "config": config}.items() if v is not None}
    deployments, missing = build_deployments(read_deployments(path, only), path.parent, overrides)
    for name in missing:
        typer.echo(f"skipping deployment {name}: its flow file is not in this checkout", err=True)
    typer.echo(f"serving {', '.join(d.name for d in deployments)} against {url}", err=True)
    prefect_serve(*deployments, limit=limit)
