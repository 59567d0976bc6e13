"""The nightly pipeline's own pure functions: the night's run id, what the night was made of, and the
markdown summary a person reads in the Prefect UI. The stages themselves live in their packages."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TYPE_CHECKING, Any

from paritylab.errors import ConfigError
from paritylab.hashing import canonical_json
from paritylab.online.markdown import md_cell, online_markdown

if TYPE_CHECKING:
    from paritylab.cases.mine import MineResult
    from paritylab.ingest.pipeline import BatchSummary
    from paritylab.online.run import OnlineSummary
    from paritylab.report import ReportPaths
    from paritylab.store import Store


def night_run_id(store: Store, night: str | None) -> str:
    """`nightly-YYYY-MM-DD`: the given night, else the newest logged day (else today, UTC)."""
    if night is not None:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", night):
            raise ConfigError(f"night '{night}' is not a date", hint="pass the night as YYYY-MM-DD")
        return f"nightly-{date.fromisoformat(night)}"
    [row] = store.rows("SELECT max(ts)::DATE AS day FROM logs")
    return f"nightly-{row['day'] or date.today()}"


def record_night_inputs(store: Store, run_id: str, batches: list[BatchSummary], mined: MineResult) -> None:
    """Merge the night's ingest batches and eval-set version into the run's summary JSON."""
    [row] = store.rows("SELECT summary FROM runs WHERE run_id = ?", [run_id])
    summary: dict[str, Any] = json.loads(row["summary"]) if isinstance(row["summary"], str) else {}
    summary.update(
        {
            "batch_ids": sorted({b.batch_id for b in batches}),
            "dataset": mined.dataset,
            "dataset_version": mined.version.version if mined.version else mined.parent_version,
            "new_cases": len(mined.new_cases),
        }
    )
    store.execute("UPDATE runs SET summary = ? WHERE run_id = ?", [canonical_json(summary), run_id])


def verdict_rows(store: Store, run_id: str) -> list[dict[str, Any]]:
    return store.rows(
        "SELECT candidate, verdict, reason, cases_needed, n_cases FROM verdicts WHERE run_id = ? "
        "ORDER BY candidate",
        [run_id],
    )


def night_markdown(
    run_id: str,
    batches: list[BatchSummary],
    *,
    online: OnlineSummary,
    mined: MineResult,
    verdicts: list[dict[str, Any]],
    report: ReportPaths,
) -> str:
    stored = sum(b.stored for b in batches)
    unchanged = sum(b.unchanged for b in batches)
    version = f"v{mined.version.version}" if mined.version else f"unchanged (v{mined.parent_version})"
    lines = [
        f"# Nightly eval {md_cell(run_id)}",
        "",
        f"New logs stored: **{stored}** from {len(batches)} files ({unchanged} unchanged since last read). "
        f"Online flags: **{len(online.flagged)}**.",
        f"Eval set {md_cell(mined.dataset)}: {version}, **{len(mined.new_cases)}** new cases from "
        f"{mined.failures} failing logs.",
        "",
        "| candidate | verdict | why | cases needed |",
        "|---|---|---|---|",
        *(
            f"| {md_cell(v['candidate'])} | **{v['verdict']}** | {md_cell(v['reason'])} | "
            f"{v['cases_needed'] or ''} |"
            for v in verdicts
        ),
        "",
        f"Report: `{report.html}` (index: `{report.index}`)",
        "",
        online_markdown(online),
    ]
    return "\n".join(lines)
