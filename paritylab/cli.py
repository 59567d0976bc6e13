"""`paritylab ...`: a thin Typer layer. Heavy libraries are imported inside commands, so --help is instant."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paritylab._env import apply_env_defaults
from paritylab.cli_report import report
from paritylab.cli_serve import serve

if TYPE_CHECKING:
    from paritylab.providers.runner import CallResult

app = typer.Typer(
    help="paritylab: evaluate LLM applications in production, with evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(serve)
StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store", envvar="PARITYLAB_STORE", help="DuckDB file (default .paritylab/paritylab.duckdb)"
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", envvar="PARITYLAB_CONFIG", help="config file (default ./paritylab.toml)"),
]


@app.command()
def demo(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    night: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: the newest logged day)")] = None,
) -> None:
    """The main job on the bundled sample: the nightly pipeline (ingest, online eval, mine failures,
    offline eval + parity, HTML report) on Prefect's ephemeral API; prints verdicts and the report path."""
    from paritylab.console import print_night
    from paritylab.demo import run_nightly_demo

    print("running the nightly pipeline on datasets/sample (SIMULATED models; first Prefect start ~20 s)")
    print_night(run_nightly_demo(config, store, night))


@app.command()
def smoke(store: StoreOpt = None, config: ConfigOpt = None, run_id: str | None = None) -> None:
    """Smoke eval: every configured candidate answers 14 help-centre questions, twice (cache check)."""
    from paritylab.console import print_demo
    from paritylab.demo import run_demo

    with _progress() as progress:
        outcome = run_demo(config, store, run_id, progress)
    print_demo(outcome)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="files, globs or directories of logs")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="wrapper | openai | otel | litellm | langfuse (default: detect; tables: [ingest] columns)",
        ),
    ] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option(help="read files again that were ingested before unchanged")] = False,
) -> None:
    """Ingest production logs: parse, sample, validate (Great Expectations), redact PII, store."""
    from paritylab.config import load_settings
    from paritylab.console import print_ingest
    from paritylab.ingest.run import ingest_paths

    settings = load_settings(config, store=store)
    with _line_progress() as progress:
        summaries = ingest_paths(settings, paths, fmt, progress, force=force)
    print_ingest(summaries)


@app.command("sim-serve")
def sim_serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    latency_ms: Annotated[
        float | None,
        typer.Option(
            help="wait this long before every answer (default: the simulated latency itself); "
            "the simulated latency is what the SDK adapters report either way"
        ),
    ] = None,
    rate_limit: Annotated[float, typer.Option(help="share of attempts answered 429")] = 0.0,
    server_error: Annotated[float, typer.Option(help="share answered 500")] = 0.0,
    timeout: Annotated[float, typer.Option(help="share held until the client times out")] = 0.0,
    malformed: Annotated[float, typer.Option(help="share answered with truncated JSON")] = 0.0,
    retry_after_s: float = 1.0,
    hang_s: Annotated[float, typer.Option(help="how long a 'timeout' request is held")] = 30.0,
    seed: int = 0,
) -> None:
    """Serve the simulator on loopback with the OpenAI and Anthropic wire formats (SIMULATED answers)."""
    from paritylab.sim.profiles import FaultRates
    from paritylab.sim.server import SimServer, serve_forever

    if host not in ("127.0.0.1", "localhost", "::1"):
        raise typer.BadParameter("sim-serve only listens on loopback", param_hint="--host")
    rates = FaultRates(rate_limit, server_error, timeout, malformed, retry_after_s)
    server = SimServer(
        latency_ms=latency_ms,
        faults=rates if rates.total() else None,
        seed=seed,
        hang_s=hang_s,
        retry_after_s=retry_after_s if rates.total() else None,
    )

    def ready(bound: int) -> None:
        typer.echo(f"sim-serve listening on http://{host}:{bound}  (OpenAI: /v1, Anthropic: /)", err=True)

    serve_forever(server, host, port, ready)


@app.command("config")
def show_config(config: ConfigOpt = None, store: StoreOpt = None) -> None:
    """Validate the config and show models and candidates with their ids."""
    from paritylab.config import load_settings
    from paritylab.console import print_config

    print_config(load_settings(config, store=store))


@app.command()
def ledger(store: StoreOpt = None, config: ConfigOpt = None, run_id: str | None = None) -> None:
    """Attempts, outcomes and cost per model from the call ledger."""
    from paritylab.config import load_settings
    from paritylab.console import print_rows
    from paritylab.demo import ledger_summary
    from paritylab.store import open_store

    settings = load_settings(config, store=store)
    keep = ("run_id", "model_name", "attempts", "ok", "errors", "cache_hits", "error_classes", "cost_usd")
    with open_store(settings.store, read_only=True) as db:
        print_rows("ledger", [{k: row[k] for k in keep} for row in ledger_summary(db, run_id)])


@app.command()
def runs(store: StoreOpt = None, config: ConfigOpt = None, limit: int = 20) -> None:
    """Recent runs."""
    from paritylab.config import load_settings
    from paritylab.console import print_rows
    from paritylab.store import open_store

    settings = load_settings(config, store=store)
    with open_store(settings.store, read_only=True) as db:
        sql = (
            "SELECT run_id, kind, status, started_at, finished_at, simulated "
            "FROM runs ORDER BY started_at DESC LIMIT ?"
        )
        print_rows("runs", db.rows(sql, [limit]))


app.command()(report)


class _progress:
    """A rich progress bar per pass; yields a factory of per-result callbacks."""

    def __enter__(self) -> Any:
        from rich.progress import Progress

        self._bar = Progress(transient=False)
        self._bar.__enter__()

        def factory(label: str, total: int) -> Any:
            task = self._bar.add_task(label, total=total)

            def advance(_: CallResult) -> None:
                self._bar.advance(task)

            return advance

        return factory

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)


class _line_progress:
    """One rich progress bar, advanced by lines read, naming the file being read and how many came before
    (a bar per file cost seconds of redrawing for a folder of 500 small files)."""

    def __enter__(self) -> Any:
        from rich.progress import Progress

        self._bar = Progress(transient=False)
        self._bar.__enter__()
        task = self._bar.add_task("ingest", total=None)
        seen: set[Path] = set()

        def advance(path: Path, lines: int) -> None:
            if path not in seen:
                seen.add(path)
                self._bar.update(task, description=f"ingest file {len(seen)}: {path.name}")
            self._bar.advance(task, lines)

        return advance

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)


from paritylab.cli_cases import cases_app, dataset_app  # noqa: E402

app.add_typer(cases_app, name="cases")
app.add_typer(dataset_app, name="dataset")
from paritylab.cli_judge import judge_app  # noqa: E402  (typer only: keeps --help fast)

app.add_typer(judge_app, name="judge")
from paritylab import cli_compare  # noqa: E402  (light: heavy imports are inside its commands)

app.command()(cli_compare.compare)
app.command()(cli_compare.gate)


def main() -> None:
    """Entry point: telemetry off before any heavy import; our errors print as one clear message."""
    apply_env_defaults()
    from paritylab.errors import ParitylabError

    try:
        app()
    except ParitylabError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
