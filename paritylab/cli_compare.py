"""`paritylab compare` and `paritylab gate`: the model-upgrade comparison and its CI gate.

Gate exit codes: 0 every challenger PASSes, 1 any FAILs, 2 otherwise any is INCONCLUSIVE (worst
verdict wins); 3 the run id (or the store) is unknown; 4 the run exists but has no verdicts yet
(unfinished: resume it with `paritylab compare --run-id RUN_ID ...`), or the store cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from paritylab.evaluate.run import ComparisonOutcome
    from paritylab.store import Store

GATE_CODES = {"PASS": 0, "FAIL": 1, "INCONCLUSIVE": 2}
UNKNOWN_RUN, NO_VERDICTS = 3, 4
StoreOpt = Annotated[Path | None, typer.Option("--store", envvar="PARITYLAB_STORE", help="DuckDB file")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", envvar="PARITYLAB_CONFIG", help="config file")]


def compare(
    *,
    baseline: Annotated[
        str | None, typer.Option(help="candidate name (default: parity.baseline in the config)")
    ] = None,
    candidate: Annotated[
        list[str] | None, typer.Option(help="candidate or model name, repeatable (default: all others)")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="NAME or NAME@vN (default: parity.dataset, latest version)")
    ] = None,
    metric: Annotated[list[str] | None, typer.Option(help="metric to compare, repeatable")] = None,
    margin: Annotated[list[str] | None, typer.Option(help="METRIC=MARGIN, repeatable")] = None,
    run_id: Annotated[str | None, typer.Option(help="reuse to resume an interrupted run")] = None,
    report_dir: Annotated[Path, typer.Option(help="where the report is written")] = Path("reports"),
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Compare candidates with the baseline on a dataset version: PASS / FAIL / INCONCLUSIVE per candidate."""
    from paritylab.config import load_settings
    from paritylab.demo import sim_serve_if_needed
    from paritylab.evaluate.plan import ComparisonRequest
    from paritylab.evaluate.run import run_comparison

    settings = load_settings(config, store=store)
    with _StageBars() as progress, sim_serve_if_needed(settings):
        request = ComparisonRequest(
            dataset=dataset,
            baseline=baseline,
            candidates=candidate,
            metrics=metric,
            margins=_margins(margin or []),
            run_id=run_id,
        )
        outcome = run_comparison(
            settings,
            request,
            report_dir=report_dir,
            progress=progress,
        )
    print_outcome(outcome)


def gate(
    run_id: Annotated[str, typer.Argument(help="the comparison run to gate on")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """CI gate: exit 0 PASS, 1 FAIL, 2 INCONCLUSIVE (worst verdict wins); 3 unknown run, 4 no verdicts."""
    from paritylab.config import load_settings
    from paritylab.errors import ParitylabError
    from paritylab.store import open_store

    try:
        settings = load_settings(config, store=store)
        if not settings.store.exists():
            _exit(UNKNOWN_RUN, f"unknown run {run_id}: store {settings.store} does not exist")
        with open_store(settings.store, read_only=True) as db:
            code, message = gate_decision(db, run_id)
    except ParitylabError as exc:
        _exit(NO_VERDICTS, f"cannot gate {run_id}: {exc}")
    _exit(code, message)


def gate_decision(db: Store, run_id: str) -> tuple[int, str]:
    """The exit code and a one-line explanation for a run's verdicts."""
    if not db.rows("SELECT 1 FROM runs WHERE run_id = ?", [run_id]):
        return UNKNOWN_RUN, f"unknown run {run_id} (see `paritylab runs`)"
    rows = db.rows(
        "SELECT candidate, verdict, reason FROM verdicts WHERE run_id = ? ORDER BY candidate", [run_id]
    )
    if not rows:
        return (
            NO_VERDICTS,
            f"run {run_id} has no verdicts yet: resume it with `paritylab compare --run-id {run_id}`",
        )
    worst = max(rows, key=lambda r: GATE_CODES[r["verdict"]])["verdict"]
    lines = [f"{r['verdict']:<12} {r['candidate']}: {r['reason']}" for r in rows]
    return GATE_CODES[worst], f"gate {worst} for run {run_id}\n" + "\n".join(lines)


def _exit(code: int, message: str) -> None:
    typer.echo(message, err=code != 0)
    raise typer.Exit(code)


def _margins(pairs: list[str]) -> dict[str, float]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise typer.BadParameter(
                f"'{pair}' is not METRIC=MARGIN, e.g. token_f1=0.05", param_hint="--margin"
            )
    return out


def print_outcome(outcome: ComparisonOutcome) -> None:
    from paritylab.console import _console, _table
    from paritylab.evaluate.report import SIMULATED_NOTE, verdict_rows

    console = _console()
    if any(o.simulated for o in outcome.result.ops.values()):
        console.print(f"[bold yellow]{SIMULATED_NOTE}[/]")
    plan = outcome.plan
    title = (
        f"{plan.run_id}: {plan.dataset}@v{plan.version}, {len(plan.cases)} cases, baseline {plan.baseline}"
    )
    console.print(_table(title, verdict_rows(plan, outcome.result)))
    for v in outcome.result.verdicts:
        console.print(f"{v.verdict}: {v.reason}", markup=False, highlight=False)
    console.print(f"report: {outcome.report}   gate: paritylab gate {plan.run_id}", markup=False)


class _StageBars:
    """One rich progress bar per stage (generate, score), created when the stage reports its total."""

    def __enter__(self) -> Any:
        from rich.progress import Progress

        self._bar = Progress(transient=False)
        self._bar.__enter__()
        self._tasks: dict[str, Any] = {}

        def progress(stage: str, advance: int, total: int) -> None:
            if stage not in self._tasks:
                self._tasks[stage] = self._bar.add_task(stage, total=total)
            self._bar.advance(self._tasks[stage], advance)

        return progress

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)
