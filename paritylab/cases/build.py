"""From failing logs to eval cases: group near-duplicates, fold each group into one case.

A group that contains a case of the parent version attaches its logs to that case (so a case id never
changes once given out, whatever paraphrase arrives later); any other group becomes a new case named
after its most common wording.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paritylab.cases.dedupe import Embedder, group_texts
from paritylab.cases.detect import FailedLog, primary_kind
from paritylab.cases.model import EvalCase
from paritylab.cases.normalize import case_id_for, normalise_question

MAX_EXAMPLES = 5
MAX_OUTPUT_CHARS = 500


@dataclass
class Folded:
    cases: list[EvalCase]  # the whole next version: parent cases, updated ones, new ones
    new_case_ids: list[str]
    updated_case_ids: list[str]
    group_sizes: list[int]  # logs per group of this run, largest first


def fold_failures(
    parent: Sequence[EvalCase],
    failures: Sequence[FailedLog],
    now: datetime,
    *,
    method: str,
    threshold: float,
    embed: Embedder | None = None,
    redact: Any = None,
) -> Folded:
    """The parent's cases plus the failures, grouped and folded (see module doc)."""
    labels = group_texts(
        [c.question for c in parent] + [f.question for f in failures], method, threshold, embed
    )
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[label].append(i)
    by_id = {c.case_id: c for c in parent}
    new_ids, updated_ids, sizes = [], [], []
    for members in groups.values():
        logs = [failures[i - len(parent)] for i in members if i >= len(parent)]
        if not logs:
            continue
        sizes.append(len(logs))
        owners = [parent[i] for i in members if i < len(parent)]
        if owners:
            by_id[owners[0].case_id] = attach(owners[0], logs, redact)
            updated_ids.append(owners[0].case_id)
        else:
            case = new_case(logs, now, redact)
            by_id[case.case_id] = case
            new_ids.append(case.case_id)
    return Folded(list(by_id.values()), new_ids, updated_ids, sorted(sizes, reverse=True))


def new_case(logs: list[FailedLog], now: datetime, redact: Any = None) -> EvalCase:
    """One case for a group of logs: the most common wording represents it (its shortest spelling,
    earliest on ties, so stray '??' or sign-offs do not become the case's question)."""
    wording = Counter(normalise_question(f.question) for f in logs).most_common(1)[0][0]
    rep = min((f for f in logs if normalise_question(f.question) == wording), key=lambda f: len(f.question))
    scrub = redact or (lambda text: text)
    return attach(
        EvalCase(
            case_id=case_id_for(rep.question),
            question=scrub(rep.question),
            input_messages=scrub(rep.input_messages) if rep.input_messages else None,
            context=scrub(rep.context) if rep.context else None,
            tags=("mined",),
            evidence={"kinds": {}, "examples": []},
            created_at=now,
        ),
        logs,
        redact,
    )


def attach(case: EvalCase, logs: list[FailedLog], redact: Any = None) -> EvalCase:
    """The case with these logs folded in: origins, size, kinds counted, a few examples, tags."""
    scrub = redact or (lambda text: text)
    evidence = dict(case.evidence or {"kinds": {}, "examples": []})
    kinds = Counter(evidence.get("kinds", {}))
    examples = list(evidence.get("examples", []))
    for log in logs:
        kinds.update(log.kinds)
        if len(examples) < MAX_EXAMPLES:
            examples.append(_example(log, scrub))
    origins = tuple(dict.fromkeys([*case.origin_log_ids, *(f.log_id for f in logs)]))
    failure_tags = {f"failure:{k}" for k in kinds} | {f"app:{f.app}" for f in logs if f.app}
    return case.with_(
        origin_log_ids=origins,
        group_size=len(origins),
        failure_kind=primary_kind([*kinds, *([case.failure_kind] if case.failure_kind else [])]),
        evidence={"kinds": dict(sorted(kinds.items())), "examples": examples},
        tags=tuple(sorted({*case.tags, "production-failure", *failure_tags})),
    )


def _example(log: FailedLog, scrub: Any) -> dict[str, Any]:
    output = scrub(log.output_text[:MAX_OUTPUT_CHARS]) if log.output_text else None
    return {
        "log_id": log.log_id,
        "ts": log.ts.isoformat() if log.ts else None,
        "question": scrub(log.question),
        "output": output,
        "kinds": log.kinds,
        "detail": log.evidence,
    }
