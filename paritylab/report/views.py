"""What the page draws that the JSON does not carry: colours and chart geometry, from the report's rows."""

from __future__ import annotations

from typing import Any

from paritylab.report import charts, fmt

Row = dict[str, Any]


def candidate_swatches(data: dict[str, Any]) -> dict[str, int]:
    """Palette index per candidate name: baseline in slate, challengers in order, then names seen only in
    older nights. (An index, not a colour: the legend uses CSS classes, since the CSP forbids style=.)"""
    names = [c["candidate"] for c in data["candidates"]]
    names += [s["candidate"] for s in data["trend"]["stats"]]
    return {n: i % len(charts.PALETTE) for i, n in enumerate(dict.fromkeys(names))}


def build(data: dict[str, Any]) -> dict[str, Any]:
    swatches = candidate_swatches(data)
    colours = {n: charts.PALETTE[i] for n, i in swatches.items()}
    return {
        "swatches": swatches,
        "verdict_colours": charts.VERDICT_COLOURS,
        "forests": _forests(data),
        "cost_chart": charts.bars(
            [
                (c["candidate"], c["cost_per_success_usd"], colours[c["candidate"]])
                for c in data["candidates"]
            ],
            fmt.usd,
        ),
        "latency_chart": charts.bars(
            [
                (f"{c['candidate']} {q}", c[f"latency_{q}_ms"], colours[c["candidate"]])
                for c in data["candidates"]
                for q in ("p50", "p95")
            ],
            fmt.ms,
            label_w=170,
        ),
        "trends": _trends(data, colours),
    }


def _forests(data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for v in data["verdicts"]:
        rows = [p for p in data["parity"] if p["candidate_id"] == v["candidate_id"] and p["tag"] == ""]
        if rows:
            out.append(
                {
                    "verdict": v,
                    "rows": rows,
                    "chart": charts.forest(rows),
                    "by_tag": [
                        p for p in data["parity"] if p["candidate_id"] == v["candidate_id"] and p["tag"]
                    ],
                }
            )
    return out


def _trends(data: dict[str, Any], colours: dict[str, str]) -> list[dict[str, Any]]:
    """Small multiples: mean score per gated metric, then cost, p95 latency and failures per night."""
    trend = data["trend"]
    night_ids = [n["run_id"] for n in trend["nights"]]
    labels = [fmt.day(n["started_at"]) for n in trend["nights"]]
    gated = list(dict.fromkeys(p["metric"] for p in data["parity"] if p["gated"] and p["tag"] == ""))
    metrics = gated or sorted({q["metric"] for q in trend["quality"]})
    charts_out = []
    for metric in metrics:
        cells = {(q["run_id"], q["candidate"]): q["mean"] for q in trend["quality"] if q["metric"] == metric}
        charts_out.append(
            _trend_chart(
                f"Mean {metric}", cells, night_ids=night_ids, labels=labels, colours=colours, f=fmt.score
            )
        )
    for key, title, f in (
        ("cost_per_success_usd", "Cost per successful answer", fmt.usd),
        ("latency_p95_ms", "p95 latency", fmt.ms),
        ("failures", "Failed answers", lambda v: fmt.count(None if v is None else int(v))),
    ):
        cells = {(s["run_id"], s["candidate"]): s[key] for s in trend["stats"]}
        charts_out.append(
            _trend_chart(title, cells, night_ids=night_ids, labels=labels, colours=colours, f=f)
        )
    return charts_out


def _trend_chart(
    title: str,
    cells: dict[tuple[str, str], Any],
    *,
    night_ids: list[str],
    labels: list[str],
    colours: dict[str, str],
    f: Any,
) -> dict[str, Any]:
    names = list(dict.fromkeys(name for (_, name) in cells))
    series = {name: [cells.get((rid, name)) for rid in night_ids] for name in names}
    return {"title": title, "chart": charts.lines(labels, series, colours, f)}
