"""How far the judges can be trusted: failure rates and swap consistency per run, and agreement with
human labels (Cohen's kappa for labels, Spearman's rho for scores). Undefined figures are None, never NaN.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from paritylab.errors import JudgeError

if TYPE_CHECKING:
    from paritylab.store import Store


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def judge_reliability(store: Store, run_id: str) -> dict[str, Any]:
    """Per metric and judge: judge_error rate (skipped rows excluded); per pairwise comparison: swap
    consistency (both orders agreed) among the pairs judged; overall figures over LLM-judged rows."""
    metrics = store.rows(
        """SELECT metric, judge, count(*) AS n,
                  count(*) FILTER (status = 'ok') AS ok,
                  count(*) FILTER (status = 'judge_error') AS judge_errors,
                  count(*) FILTER (status = 'skipped') AS skipped,
                  bool_or(simulated) AS simulated,
                  list(DISTINCT left(error, 160)) FILTER (status = 'judge_error') AS errors
           FROM scores WHERE run_id = ? GROUP BY ALL ORDER BY metric, judge""",
        [run_id],
    )
    for m in metrics:
        m["failure_rate"] = _rate(m["judge_errors"], m["n"] - m["skipped"])
        m["errors"] = sorted(m["errors"] or [])[:5]
    pairs = store.rows(
        """SELECT metric, baseline_id, candidate_id, judge, count(*) AS n,
                  count(*) FILTER (status = 'judge_error') AS judge_errors,
                  count(*) FILTER (consistent) AS consistent,
                  count(*) FILTER (winner = 'candidate') AS wins,
                  count(*) FILTER (winner = 'tie') AS ties,
                  count(*) FILTER (winner = 'baseline') AS losses,
                  bool_or(simulated) AS simulated
           FROM pairwise WHERE run_id = ? GROUP BY ALL ORDER BY metric, candidate_id""",
        [run_id],
    )
    for p in pairs:
        p["failure_rate"] = _rate(p["judge_errors"], p["n"])
        p["swap_consistency"] = _rate(p["consistent"], p["n"] - p["judge_errors"])
    judged = [m for m in metrics if m["judge"] is not None]
    judged_n = sum(m["n"] - m["skipped"] for m in judged) + sum(p["n"] for p in pairs)
    errors = sum(m["judge_errors"] for m in judged) + sum(p["judge_errors"] for p in pairs)
    return {
        "run_id": run_id,
        "metrics": metrics,
        "pairwise": pairs,
        "judge_failure_rate": _rate(errors, judged_n),
        "swap_consistency": _rate(
            sum(p["consistent"] for p in pairs), sum(p["n"] - p["judge_errors"] for p in pairs)
        ),
        "simulated": any(m["simulated"] for m in metrics) or any(p["simulated"] for p in pairs),
    }


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Agreement beyond chance of two raters over the same items; None when chance agreement is 1."""
    if len(a) != len(b) or not a:
        return None
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if expected >= 1.0 else round((observed - expected) / (1.0 - expected), 6)


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rho (Pearson on average ranks); None with fewer than 2 pairs or a constant side."""
    if len(a) != len(b) or len(a) < 2:
        return None
    ra, rb = _ranks(a), _ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    var = math.sqrt(sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb))
    return round(cov / var, 6) if var else None


def _latest_run(store: Store, metric: str) -> str:
    rows = store.rows(
        "SELECT run_id FROM scores WHERE metric = ? GROUP BY run_id ORDER BY max(created_at) DESC LIMIT 1",
        [metric],
    )
    if not rows:
        raise JudgeError(f"no scores for metric '{metric}' in this store", hint="run an eval with it first")
    return str(rows[0]["run_id"])


def calibrate(store: Store, metric: str, run_id: str | None = None) -> dict[str, Any]:
    """Judge vs human labels for `metric` in one run (default: the latest run that scored it)."""
    run = run_id or _latest_run(store, metric)
    pairs = store.rows(
        """SELECT h.label AS human_label, h.score AS human_score, s.label AS judge_label,
                  s.value AS judge_value, s.simulated
           FROM human_labels h JOIN scores s
             ON s.case_id = h.case_id AND s.metric = h.metric
            AND (h.candidate_id IS NULL OR h.candidate_id = s.candidate_id)
           WHERE s.run_id = ? AND s.metric = ? AND s.status = 'ok'""",
        [run, metric],
    )
    if not pairs:
        raise JudgeError(
            f"no human labels match the '{metric}' scores of run {run}",
            hint="import review labels for this metric (cases and candidates of that run) first",
        )
    labelled = [(p["human_label"], p["judge_label"]) for p in pairs if p["human_label"] and p["judge_label"]]
    scored = [(p["human_score"], p["judge_value"]) for p in pairs if p["human_score"] is not None]
    return {
        "metric": metric,
        "run_id": run,
        "n_pairs": len(pairs),
        "n_labels": len(labelled),
        "label_agreement": _rate(sum(h == j for h, j in labelled), len(labelled)),
        "kappa": cohen_kappa([h for h, _ in labelled], [j for _, j in labelled]),
        "n_scores": len(scored),
        "spearman": spearman([h for h, _ in scored], [j for _, j in scored]),
        "simulated": any(p["simulated"] for p in pairs),
    }
