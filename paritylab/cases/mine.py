"""Mining: the failing logs of a window become a new dataset version (parent's cases + new/updated ones).

Idempotent: logs already held by a case of the parent version are left out of the scan, so mining the
same window again finds nothing new and writes no version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from paritylab.cases.build import fold_failures
from paritylab.cases.dedupe import DEFAULT_THRESHOLDS, Embedder, sentence_transformer_embedder
from paritylab.cases.detect import LowScore, Window, scan_failures
from paritylab.cases.golden import seed_golden
from paritylab.cases.versions import VersionInfo, latest_version, load_cases, write_version
from paritylab.config import Settings
from paritylab.store.db import Store
from paritylab.store.ledger import utcnow


@dataclass
class MineResult:
    dataset: str
    parent_version: int | None
    version: VersionInfo | None  # None: nothing new in the window, no version written
    logs_in_window: int
    already_in_cases: int
    failures: int  # new failing logs folded into cases
    without_question: int  # failing logs with no question text: counted, cannot become cases
    kinds: dict[str, int] = field(default_factory=dict)
    group_sizes: list[int] = field(default_factory=list)
    new_cases: list[str] = field(default_factory=list)
    updated_cases: list[str] = field(default_factory=list)
    seconds: float = 0.0


def mine_failures(
    store: Store,
    settings: Settings,
    window: Window | None = None,
    *,
    low_scores: Sequence[LowScore] = (),
    embed: Embedder | None = None,
    seed: bool = True,
) -> MineResult:
    """Detect failures in the window's logs, fold them into cases, append a version if anything changed.

    `low_scores` are (log_id, metric, value) online-eval scores of production answers, on top of the
    `scores` rows of candidate 'production'. `seed` first creates v1 from the golden set if needed.
    """
    import time

    from paritylab.ingest.redact import Redactor

    started = time.perf_counter()
    cfg, window = settings.cases, window or Window()
    if seed:
        seed_golden(store, settings)
    parent = latest_version(store, cfg.dataset)
    slo = cfg.latency_slo_ms or settings.ingest.latency_slo_ms
    scan = scan_failures(
        store, cfg, slo, window, exclude_from=(cfg.dataset, parent) if parent else None, low_scores=low_scores
    )
    result = MineResult(
        cfg.dataset,
        parent,
        None,
        scan.logs_in_window,
        scan.already_in_cases,
        len(scan.failures),
        scan.without_question,
    )
    for f in scan.failures:
        for kind in f.kinds:
            result.kinds[kind] = result.kinds.get(kind, 0) + 1
    if scan.failures:
        redactor = Redactor(extra=dict(settings.ingest.redact_extra))
        parent_cases = load_cases(store, cfg.dataset, parent) if parent else []
        folded = fold_failures(
            parent_cases,
            scan.failures,
            utcnow(),
            method=cfg.dedupe_method,
            threshold=cfg.dedupe_threshold or DEFAULT_THRESHOLDS[cfg.dedupe_method],
            embed=embed or _default_embedder(settings),
            redact=lambda t: redactor.redact(t)[0],
        )
        result.group_sizes, result.new_cases = folded.group_sizes, folded.new_case_ids
        result.updated_cases = folded.updated_case_ids
        result.version = write_version(
            store,
            cfg.datasets_dir,
            cfg.dataset,
            folded.cases,
            parent=parent,
            origin=_origin(result, window, settings),
        )
    result.seconds = time.perf_counter() - started
    return result


def _default_embedder(settings: Settings) -> Embedder | None:
    if settings.cases.dedupe_method != "embedding":
        return None
    return sentence_transformer_embedder(settings.cases.embedding_model)


def _origin(result: MineResult, window: Window, settings: Settings) -> dict[str, Any]:
    cfg = settings.cases
    return {
        "kind": "mine",
        "window": window.as_json(),
        "logs_in_window": result.logs_in_window,
        "already_in_cases": result.already_in_cases,
        "failures": result.failures,
        "without_question": result.without_question,
        "kinds": result.kinds,
        "dedupe": {
            "method": cfg.dedupe_method,
            "threshold": cfg.dedupe_threshold or DEFAULT_THRESHOLDS[cfg.dedupe_method],
        },
        "group_sizes": result.group_sizes,
        "new_cases": len(result.new_cases),
        "updated_cases": len(result.updated_cases),
    }
