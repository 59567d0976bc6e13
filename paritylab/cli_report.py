"""`paritylab report RUN_ID | --latest`: render a run's HTML report (and JSON) into the reports folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from paritylab.errors import ReportError


def report(
    run_id: Annotated[str | None, typer.Argument(help="the run to report (see `paritylab runs`)")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="report the newest run with results")] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--dir", help="reports folder (default: report.dir of the config, reports/)"),
    ] = None,
    store: Annotated[
        Path | None, typer.Option("--store", envvar="PARITYLAB_STORE", help="DuckDB file")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", envvar="PARITYLAB_CONFIG", help="config file")
    ] = None,
) -> None:
    """Render a run's parity report: one self-contained HTML file, its JSON, and the folder's index.html."""
    from paritylab.config import load_settings
    from paritylab.report import latest_run_id, render_report
    from paritylab.store import open_store

    if (run_id is None) == (not latest):
        raise ReportError("give either a RUN_ID or --latest", hint="e.g. `paritylab report --latest`")
    settings = load_settings(config, store=store)
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as db:
        chosen = run_id or latest_run_id(db)
        paths = render_report(db, chosen, out_dir or settings.report.dir, settings.report)
    typer.echo(f"report for {chosen}:\n  {paths.html}\n  {paths.json}\n  index: {paths.index}")
