"""Terminal output: tables for the CLI (rich, imported only when printing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paritylab.config import Settings
    from paritylab.demo import DemoOutcome, NightOutcome
    from paritylab.ingest.pipeline import BatchSummary

SIMULATED_BANNER = "SIMULATED: answers come from paritylab's sim provider, not a real model."


def _console() -> Any:
    """Terminal width on a terminal; wide enough for our tables when piped to a file or CI log."""
    import sys

    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 140)


def _table(title: str, rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for col in rows[0] if rows else []:
        table.add_column(str(col))
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6f}" if abs(value) < 0.01 and value else f"{value:.3f}"
    return "" if value is None else str(value)


def print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    _console().print(_table(title, rows) if rows else f"{title}: nothing recorded yet")


def print_config(settings: Settings) -> None:
    models = [
        {
            "model": n,
            "provider": m.provider,
            "id": m.model,
            "concurrency": m.concurrency,
            "rpm": m.rpm,
            "tpm": m.tpm,
            "$/1M in": m.price_input_per_mtok,
            "$/1M out": m.price_output_per_mtok,
            "fallback": m.fallback,
            "key from": m.key_variable(),
        }
        for n, m in settings.models.items()
    ]
    cands = [
        {
            "candidate": n,
            "id": settings.candidate_id(n),
            "model": c.model,
            "prompt": c.prompt,
            "version": settings.prompts[c.prompt].version,
        }
        for n, c in settings.candidates.items()
    ]
    print_rows(f"models ({settings.source})", models)
    print_rows("candidates", cands)


def print_demo(outcome: DemoOutcome) -> None:
    console = _console()
    if any(s.simulated for s in outcome.first):
        console.print(f"[bold yellow]{SIMULATED_BANNER}[/]")
    rows = [
        {
            "candidate": s.candidate,
            "id": s.candidate_id[:8],
            "model": s.model_name,
            "ok/failed": f"{s.answered}/{s.failed}",
            "attempts": s.attempts,
            "cost $": s.cost_usd,
            "p50 ms": round(s.latency_p50_ms),
            "p95 ms": round(s.latency_p95_ms),
            "F1": s.token_f1,
            "grounded": s.grounded,
        }
        for s in outcome.first
    ]
    console.print(_table(f"smoke eval, run {outcome.run_id}", rows))
    for s in outcome.first:
        if s.failed:
            console.print(
                f"[red]{s.candidate}: {s.failed} calls failed; "
                f"see `paritylab ledger --run-id {outcome.run_id}`[/]"
            )
    cached = sum(s.from_cache for s in outcome.second)
    total = sum(s.answered + s.failed for s in outcome.second)
    console.print(
        f"second pass: {cached}/{total} answers from the cache, "
        f"{sum(s.attempts for s in outcome.second)} provider attempts, "
        f"{outcome.http_requests_second} HTTP requests to sim-serve "
        f"(first pass: {outcome.http_requests_first})"
    )
    keep = ("model_name", "provider", "attempts", "ok", "errors", "cache_hits", "error_classes", "cost_usd")
    console.print(_table("ledger for this run", [{k: r[k] for k in keep} for r in outcome.ledger]))
    console.print(f"store: {outcome.store}")


def print_night(outcome: NightOutcome) -> None:
    console = _console()
    console.print(_table(f"verdicts of {outcome.run_id} (SIMULATED models)", outcome.verdicts))
    console.print(f"report: {outcome.report}", markup=False)
    console.print(f"store:  {outcome.store}   gate: paritylab gate {outcome.run_id}", markup=False)


# Up to this many files the ingest table lists each; past it, the ones worth a look (quarantined rows, not
# reconciling) up to this many and the others summed in one row (if any were listed), then the total.
INGEST_FILES_LISTED = 25
COUNTED = ("seen", "stored", "already_stored", "quarantined", "sampled_out", "skipped")


def print_ingest(summaries: list[BatchSummary]) -> None:
    rows = [_ingest_row(s) for s in summaries]
    if len(summaries) > INGEST_FILES_LISTED:
        worth = [s for s in summaries if s.quarantined or not s.reconciles()][:INGEST_FILES_LISTED]
        listed = {id(s) for s in worth}
        others = [s for s in summaries if id(s) not in listed]
        rows = [_ingest_row(s) for s in worth]
        if worth:
            rows.append(_sum_row(f"{len(others)} more files", others))
    if len(summaries) > 1:
        rows.append(_sum_row(f"all {len(summaries)} files", summaries))
    console = _console()
    console.print(_table("ingest", rows))
    kept = _merge([s.kept_kinds for s in summaries])
    console.print("kept because: " + ", ".join(f"{k} {v}" for k, v in kept.items()))
    skipped = _merge([s.skipped_kinds for s in summaries])
    if skipped:
        console.print("skipped: " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
    redactions = _merge([s.redactions for s in summaries])
    console.print("PII redacted: " + (", ".join(f"{k} {v}" for k, v in redactions.items()) or "none found"))


def _ingest_row(s: BatchSummary) -> dict[str, Any]:
    return {
        "source": s.source + (" (unchanged: ingested before)" if s.unchanged else ""),
        "format": s.source_format,
        **{name.replace("_", " "): getattr(s, name) for name in COUNTED},
        "reconciles": "yes" if s.reconciles() else "NO",
        "seconds": round(s.seconds, 2),
    }


def _sum_row(label: str, summaries: list[BatchSummary]) -> dict[str, Any]:
    formats = sorted({s.source_format for s in summaries})
    return {
        "source": label,
        "format": ", ".join(formats),
        **{name.replace("_", " "): sum(getattr(s, name) for s in summaries) for name in COUNTED},
        "reconciles": "yes" if all(s.reconciles() for s in summaries) else "NO",
        "seconds": round(sum(s.seconds for s in summaries), 2),
    }


def _merge(dicts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            total[k] = total.get(k, 0) + v
    return dict(sorted(total.items(), key=lambda kv: -kv[1]))
