"""The online eval as a markdown summary (the Prefect artifact). App, model and prompt names come from
the logs, so every cell is escaped: log text renders as text, never as markup or links."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paritylab.online.daily import DailyRow
    from paritylab.online.run import OnlineSummary

_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md_cell(text: object) -> str:
    """One table cell: markdown and HTML specials escaped, on one line, bounded."""
    flat = " ".join(str(text).split())[:200]
    return _MARKUP.sub(r"\\\1", flat)


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _row(r: DailyRow) -> str:
    ci = "-" if r.ci_low is None else f"[{_num(r.ci_low)}, {_num(r.ci_high)}]"
    delta_ci = "-" if r.delta_ci_low is None else f"[{_num(r.delta_ci_low)}, {_num(r.delta_ci_high)}]"
    cells = [
        str(r.day), md_cell(r.group), md_cell(r.metric), str(r.n_calls), str(r.n_scored),
        _num(r.mean), ci, _num(r.delta), delta_ci, f"{r.error_rate:.1%}",
        _num(r.cost_per_call_usd, 6), _num(r.latency_p95_ms, 0), ", ".join(r.flags) or "ok",
    ]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def online_markdown(summary: OnlineSummary) -> str:
    if summary.window is None:
        return "## Online eval\n\nNo logs in the store yet: ingest some first (`paritylab ingest PATH`).\n"
    days = f"{summary.report_days[0]} .. {summary.report_days[-1]}" if summary.report_days else "-"
    lines = [
        "## Online eval (production answers as logged)",
        "",
        f"Days reported: **{days}** (UTC); scored and compared over {summary.window}. "
        f"Newly scored now: {summary.scored_now}. Low-scoring items for the failure miner: "
        f"{summary.low_scoring}. Flags: **{len(summary.flagged)}**."
        + (" Scores marked SIMULATED come from the sim judge." if summary.simulated else ""),
        "",
        "| day | app/model/prompt | metric | calls | scored | mean | CI | delta vs trailing | delta CI "
        "| errors | cost/call USD | p95 ms | flags |",
        "|---|---|---|---:|---:|---:|---|---:|---|---:|---:|---:|---|",
        *(_row(r) for r in summary.rows),
    ]
    return "\n".join(lines) + "\n"
