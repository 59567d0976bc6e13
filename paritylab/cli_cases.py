"""`paritylab cases mine|list|diff|export|import` and `paritylab dataset diff` (thin; lazy imports)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from paritylab.cases.versions import VersionDiff
    from paritylab.config import Settings

cases_app = typer.Typer(help="Production failures -> versioned eval cases.", no_args_is_help=True)
dataset_app = typer.Typer(help="Eval dataset versions.", no_args_is_help=True)

StoreOpt = Annotated[Path | None, typer.Option("--store", envvar="PARITYLAB_STORE", help="DuckDB file")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", envvar="PARITYLAB_CONFIG", help="config file")]
DatasetOpt = Annotated[str | None, typer.Option("--dataset", help="dataset name (default [cases].dataset)")]


def _settings(config: Path | None, store: Path | None, dataset: str | None = None) -> Settings:
    from paritylab.config import load_settings

    settings = load_settings(config, store=store)
    if dataset:
        cases = settings.cases.model_validate({**settings.cases.model_dump(), "dataset": dataset})
        settings = settings.model_copy(update={"cases": cases})
    return settings


def _when(value: str | None, flag: str) -> datetime | None:
    from paritylab.errors import ParitylabError

    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise ParitylabError(
            f"{flag} '{value}' is not a date/time", hint="use ISO 8601, e.g. 2026-11-18"
        ) from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)  # logs are stored in UTC


@cases_app.command("mine")
def mine(
    start: Annotated[str | None, typer.Option(help="first log time (ISO 8601), inclusive")] = None,
    end: Annotated[str | None, typer.Option(help="last log time (ISO 8601), exclusive")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    dataset: DatasetOpt = None,
) -> None:
    """Detect failures in the window's logs and append a dataset version (seeding v1 if needed)."""
    from paritylab.cases import Window, mine_failures
    from paritylab.store import open_store

    settings = _settings(config, store, dataset)
    window = Window(_when(start, "--start"), _when(end, "--end"))
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as db:
        result = mine_failures(db, settings, window)
    v = result.version
    _echo(
        f"logs in window: {result.logs_in_window}, already in cases: {result.already_in_cases}, "
        f"new failing logs: {result.failures} ({_fmt(result.kinds)}), without a question: "
        f"{result.without_question}"
    )
    _echo(f"groups: {len(result.group_sizes)}, sizes (largest first): {result.group_sizes[:15]}")
    if v is None:
        _echo(f"nothing new: {result.dataset} stays at v{result.parent_version} (no version written)")
    else:
        _echo(
            f"{v.dataset} v{v.version} (parent v{v.parent_version}): {v.n_cases} cases, +{v.n_added} new, "
            f"{v.n_changed} updated, -{v.n_removed}; fingerprint {v.fingerprint[:16]}; {v.path}"
        )


@cases_app.command("list")
def list_cmd(
    version: Annotated[int | None, typer.Argument(help="list this version's cases")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    dataset: DatasetOpt = None,
    limit: int = 30,
) -> None:
    """Dataset versions, or the cases of one version (biggest groups first)."""
    from paritylab.cases.versions import list_versions, load_cases
    from paritylab.store import open_store

    settings = _settings(config, store, dataset)
    with open_store(settings.store, read_only=True) as db:
        if version is None:
            _table("dataset versions", list_versions(db, dataset))
            return
        cases = load_cases(db, settings.cases.dataset, version)
    cases.sort(key=lambda c: (-c.group_size, c.case_id))
    rows = [
        {
            "case_id": c.case_id,
            "logs": c.group_size,
            "kind": c.failure_kind,
            "reference": c.reference is not None,
            "question": c.question[:80],
        }
        for c in cases[:limit]
    ]
    _table(f"{settings.cases.dataset} v{version}: {len(cases)} cases (first {min(limit, len(cases))})", rows)


def _diff(name: str | None, version_a: int, version_b: int, config: Path | None, store: Path | None) -> None:
    from paritylab.cases.versions import diff_versions
    from paritylab.store import open_store

    settings = _settings(config, store, name)
    with open_store(settings.store, read_only=True) as db:
        diff = diff_versions(db, settings.cases.dataset, version_a, version_b)
    _print_diff(diff)


@cases_app.command("diff")
def cases_diff(
    version_a: int,
    version_b: int,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    dataset: DatasetOpt = None,
) -> None:
    """Cases added, removed and changed between two versions."""
    _diff(dataset, version_a, version_b, config, store)


@dataset_app.command("diff")
def dataset_diff(
    name: str,
    version_a: Annotated[str, typer.Argument(help="e.g. v1 or 1")],
    version_b: Annotated[str, typer.Argument(help="e.g. v2 or 2")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """`paritylab dataset diff NAME vA vB`: cases added, removed and changed."""
    _diff(name, _version(version_a), _version(version_b), config, store)


def _version(text: str) -> int:
    from paritylab.errors import ParitylabError

    digits = text.lower().removeprefix("v")
    if not digits.isdigit():
        raise ParitylabError(f"'{text}' is not a version", hint="write it as v2 or 2")
    return int(digits)


@cases_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="review file to write: .csv or .jsonl")],
    version: Annotated[int | None, typer.Option(help="default: the latest")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    dataset: DatasetOpt = None,
) -> None:
    """Write the cases that need a reference or a label to a file for human review."""
    from paritylab.cases.review import export_review
    from paritylab.store import open_store

    settings = _settings(config, store, dataset)
    with open_store(settings.store, read_only=True) as db:
        n = export_review(db, settings, out, version)
    _echo(f"{n} cases to review written to {out}: fill reference and/or label (score 0-1 optional)")


@cases_app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="the filled review file (.csv or .jsonl)")],
    version: Annotated[
        int | None, typer.Option(help="version it was exported from (default: latest)")
    ] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    dataset: DatasetOpt = None,
) -> None:
    """Import a filled review file: validated whole, then labels stored and references versioned."""
    from paritylab.cases.review import import_review
    from paritylab.store import open_store

    settings = _settings(config, store, dataset)
    with open_store(settings.store, lock_timeout_s=settings.store_lock_timeout_s) as db:
        r = import_review(db, settings, path, version)
    made = f"new version v{r.version.version}" if r.version else "no new version (no reference changed)"
    _echo(f"{r.rows} rows: {r.labels} labels, {r.references} references, {r.unreviewed} left blank; {made}")


def _print_diff(d: VersionDiff) -> None:
    _echo(
        f"{d.dataset} v{d.version_a} -> v{d.version_b}: +{len(d.added)} added, -{len(d.removed)} removed, "
        f"~{len(d.changed)} changed"
    )
    rows: list[dict[str, Any]] = [
        {"": "+", "case_id": c.case_id, "fields": "", "question": c.question[:70]} for c in d.added
    ]
    rows += [{"": "-", "case_id": c.case_id, "fields": "", "question": c.question[:70]} for c in d.removed]
    rows += [
        {"": "~", "case_id": b.case_id, "fields": ",".join(f), "question": b.question[:70]}
        for _, b, f in d.changed
    ]
    if rows:
        _table("changes", rows)


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"


def _echo(text: str) -> None:
    typer.echo(text)


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    """A rich table whose cells are plain text: log-derived questions hold `[EMAIL]`, not markup."""
    import sys

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if not rows:
        typer.echo(f"{title}: nothing yet")
        return
    table = Table(title=Text(title))
    for col in rows[0]:
        table.add_column(Text(str(col)))
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row.values()))
    Console(width=None if sys.stdout.isatty() else 160).print(table)
