"""Stage 5: a minimal Markdown + HTML report of a comparison (the full report lives in paritylab.report
and reads the same tables). Every value is escaped: names and reasons are text, never markup."""

from __future__ import annotations

import html
from pathlib import Path

from paritylab.evaluate.analyse import ParityResult
from paritylab.evaluate.plan import ComparisonPlan
from paritylab.parity import MetricComparison, OpsStats

SIMULATED_NOTE = "SIMULATED: answers and scores come from paritylab's sim provider, not a real model."


def verdict_rows(plan: ComparisonPlan, result: ParityResult) -> list[dict[str, object]]:
    """One row per challenger: the table the CLI prints and the flow publishes as an artifact."""
    rows = []
    base = result.ops[plan.candidate_id(plan.baseline)]
    for v in result.verdicts:
        ops = result.ops[v.candidate_id]
        row: dict[str, object] = {"candidate": v.candidate, "verdict": v.verdict, "n": v.n_cases}
        for c in result.comparisons[v.candidate_id]:
            if c.tag == "":
                row[f"{c.metric} delta (CI)"] = _delta(c)
        row["cost/success vs base"] = _ratio(ops.cost_per_success_usd, base.cost_per_success_usd)
        row["p95 ms"] = round(ops.latency_p95_ms) if ops.latency_p95_ms is not None else None
        row["errors"] = f"{ops.error_rate:.1%}"
        row["cases needed"] = v.cases_needed
        rows.append(row)
    return rows


def render_markdown(plan: ComparisonPlan, result: ParityResult) -> str:
    lines = [f"# Model upgrade: {plan.run_id}", ""]
    if any(o.simulated for o in result.ops.values()):
        lines += [f"> **{SIMULATED_NOTE}**", ""]
    lines += [
        f"Baseline **{_md(plan.baseline)}**, dataset {_md(plan.dataset)}@v{plan.version} "
        f"({len(plan.cases)} cases).",
        "",
    ]
    lines += [*(f"- **{v.verdict}** {_md(v.reason)}" for v in result.verdicts), ""]
    lines += [*_md_table(verdict_rows(plan, result)), "", "## Candidates", ""]
    lines += [*_md_table([_ops_row(o) for o in result.ops.values()]), "", "## By tag", ""]
    lines += _md_table(
        [_tag_row(plan, cid, c) for cid, comps in result.comparisons.items() for c in comps if c.tag]
    )
    return "\n".join(lines) + "\n"


def render_html(markdown_text: str, title: str) -> str:
    """The Markdown shown as preformatted, escaped text: self-contained, no scripts, nothing to inject."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}pre{white-space:pre-wrap}</style>"
        f"</head><body><pre>{html.escape(markdown_text)}</pre></body></html>\n"
    )


def write_report(plan: ComparisonPlan, result: ParityResult, report_dir: Path) -> Path:
    """Write model-upgrade.md and .html under report_dir/run_id; return the HTML path."""
    folder = report_dir / plan.run_id
    folder.mkdir(parents=True, exist_ok=True)
    text = render_markdown(plan, result)
    (folder / "model-upgrade.md").write_text(text, encoding="utf-8")
    path = folder / "model-upgrade.html"
    path.write_text(render_html(text, f"model upgrade {plan.run_id}"), encoding="utf-8")
    return path


def _delta(c: MetricComparison) -> str:
    if c.delta is None or c.ci_low is None or c.ci_high is None:
        return "n/a"
    return f"{c.delta:+.3f} ({c.ci_low:+.3f}, {c.ci_high:+.3f}) {c.verdict}"


def _ratio(value: float | None, ref: float | None) -> str | None:
    return f"{value / ref:.2f}x" if value is not None and ref else None


def _ops_row(o: OpsStats) -> dict[str, object]:
    return {
        "candidate": o.candidate,
        "model": o.model_name,
        "baseline": o.is_baseline,
        "answered": f"{o.n_ok}/{o.n_cases}",
        "cost USD": round(o.cost_usd, 6),
        "cost/success USD": round(o.cost_per_success_usd, 8) if o.cost_per_success_usd is not None else None,
        "p50 ms": round(o.latency_p50_ms) if o.latency_p50_ms is not None else None,
        "p95 ms": round(o.latency_p95_ms) if o.latency_p95_ms is not None else None,
        "judge failures": f"{o.judge_failure_rate:.1%}" if o.judge_failure_rate is not None else None,
    }


def _tag_row(plan: ComparisonPlan, cid: str, c: MetricComparison) -> dict[str, object]:
    name = next(n for n in plan.challengers if plan.candidate_id(n) == cid)
    return {
        "candidate": name,
        "metric": c.metric,
        "tag": c.tag,
        "n": c.n,
        "delta (CI)": _delta(c),
        "W/T/L": f"{c.wins}/{c.ties}/{c.losses}",
    }


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _md_table(rows: list[dict[str, object]]) -> list[str]:
    if not rows:
        return ["(none)"]
    head = list(rows[0])
    out = ["| " + " | ".join(_md(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join("" if r.get(h) is None else _md(r.get(h)) for h in head) + " |" for r in rows]
    return out
