"""`paritylab judge ...`: the metric catalogue, judge reliability of a run, calibration against humans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

judge_app = typer.Typer(help="Judges and metrics: catalogue, reliability, calibration.", no_args_is_help=True)
StoreOpt = Annotated[Path | None, typer.Option("--store", envvar="PARITYLAB_STORE", help="DuckDB file")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", envvar="PARITYLAB_CONFIG", help="config file")]
SIMULATED = "SIMULATED: these verdicts come from the sim judge, not from a real model."


@judge_app.command("metrics")
def list_metrics(config: ConfigOpt = None) -> None:
    """Every metric name the config can enable, its kind, and whether it is on."""
    from paritylab.config import load_settings
    from paritylab.console import print_rows
    from paritylab.metrics.registry import available_metrics, metric_kind

    settings = load_settings(config)
    enabled = set(settings.metrics.enabled)
    rows = [{"metric": n, "kind": metric_kind(n), "enabled": n in enabled} for n in available_metrics()]
    print_rows("metrics", rows)


@judge_app.command("reliability")
def reliability(
    run_id: Annotated[str, typer.Option(help="the run to inspect")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Judge failure rate per metric and swap consistency of pairwise judgments for one run."""
    from paritylab.console import print_rows
    from paritylab.metrics.reliability import judge_reliability

    with _store(config, store) as db:
        report = judge_reliability(db, run_id)
    keep = ("metric", "judge", "n", "ok", "judge_errors", "skipped", "failure_rate", "simulated")
    print_rows("judge failures per metric", [{k: m[k] for k in keep} for m in report["metrics"]])
    for m in report["metrics"]:
        for error in m["errors"]:
            typer.echo(f"  {m['metric']}: {error}")
    print_rows("pairwise swap consistency", report["pairwise"])
    typer.echo(
        f"overall judge failure rate: {_pct(report['judge_failure_rate'])}; "
        f"swap consistency: {_pct(report['swap_consistency'])}"
    )
    if report["simulated"]:
        typer.echo(SIMULATED)


@judge_app.command("calibrate")
def calibrate(
    metric: Annotated[str, typer.Option(help="the judged metric to compare with human labels")],
    run_id: Annotated[str | None, typer.Option(help="default: the latest run that scored it")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Agreement of the judge with human labels: Cohen's kappa (labels), Spearman's rho (scores)."""
    from paritylab.console import print_rows
    from paritylab.metrics.reliability import calibrate as run_calibration

    with _store(config, store) as db:
        result = run_calibration(db, metric, run_id)
    print_rows(f"calibration of {metric}", [result])
    if result["simulated"]:
        typer.echo(SIMULATED)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _store(config: Path | None, store: Path | None) -> Any:
    from paritylab.config import load_settings
    from paritylab.store import open_store

    settings = load_settings(config, store=store)
    return open_store(settings.store, read_only=True)
