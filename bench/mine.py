"""Mining throughput: N stored logs with F failures -> detection, near-duplicate grouping, a new version.

Questions are the sample app's phrasings with greetings, sign-offs, PII placeholders and ticket numbers,
so the failures hold thousands of distinct texts that fold into far fewer cases. Prints seconds per
stage, cases and group sizes, peak RSS, and the ratio to the targets (30 s, 2 GB for 100k / 10k).

    python bench/mine.py [--logs 100000] [--failures 10000] [--method minhash|tfidf]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _common import peak_rss_mb

from paritylab.cases import mine_failures, seed_golden
from paritylab.config import load_settings
from paritylab.store import open_store

ROOT = Path(__file__).resolve().parents[1]
TARGET_S, TARGET_MB = 30.0, 2048.0
PREFIXES = [
    "",
    "Hi, ",
    "Quick question: ",
    "My email is [EMAIL]. ",
    "Good morning. ",
    "hey - ",
    "Call me on [PHONE]. ",
]
SUFFIXES = ["", " Thanks!", " thx", " Please help.", " The card [CARD] was charged."]
KINDS = [
    "status = 'error', error = 'RateLimitError: 429 Too Many Requests', output_text = NULL",
    "feedback = -1",
    "guardrail_flags = ['off_topic']",
    "output_text = 'I''m sorry, but I can''t help with that request.'",
    "latency_ms = 15000",
]


def phrasings() -> list[str]:
    sys.path.insert(0, str(ROOT / "datasets" / "sample"))
    from tandem_kb import QAS

    return [p for qa in QAS for p in qa.phrasings]


def fill(store_path: Path, logs: int, failures: int) -> None:
    """Insert the logs with DuckDB (fast), then turn every (logs // failures)-th one into a failure."""
    with open_store(store_path) as db:
        db.con.execute(
            "CREATE TEMP TABLE phr AS SELECT unnest($p) AS q, generate_subscripts($p, 1) AS k",
            {"p": phrasings()},
        )
        db.con.execute(
            """INSERT INTO stored_logs (log_id, ts, app, status, question, input_text, context, output_text,
                                 latency_ms, kept_because, source_format, source, position, batch_id)
               SELECT 'bench:' || i, TIMESTAMPTZ '2026-11-16 00:00:00+00' + INTERVAL (i * 100) MILLISECOND,
                      'helpdesk-assistant', 'ok', question, question, to_json(['Refunds for annual plans '
                      || 'are available within 30 days of purchase.']),
                      'Refunds take 5 to 10 business days.', 800,
                      'sampled', 'bench', 'bench', i, 'bench'
               FROM (SELECT i, $pre[1 + i % len($pre)] || q || $suf[1 + (i // 7) % len($suf)]
                            || CASE WHEN i % 3 = 0 THEN ' Ticket ' || (i % 1009) ELSE '' END AS question
                     FROM range($n) t(i) JOIN phr ON phr.k = 1 + (i * 7919) % (SELECT count(*) FROM phr))""",
            {"n": logs, "pre": PREFIXES, "suf": SUFFIXES},
        )
        step = max(logs // failures, 1)
        for j, kind in enumerate(KINDS):
            db.execute(f"""UPDATE stored_logs SET {kind} WHERE position % {step} = 0
                           AND (position // {step}) % {len(KINDS)} = {j}""")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--logs", type=int, default=100_000)
    ap.add_argument("--failures", type=int, default=10_000)
    ap.add_argument("--method", default="minhash")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-mine-"))
    settings = load_settings(ROOT / "paritylab.toml", env={}, store=tmp / "bench.duckdb")
    cases = settings.cases.model_validate(
        {
            **settings.cases.model_dump(),
            "datasets_dir": tmp / "datasets",
            "dedupe_method": args.method,
            "golden_file": ROOT / "datasets/golden/cases.jsonl",
        }
    )
    settings = settings.model_copy(update={"cases": cases})
    t0 = time.perf_counter()
    fill(settings.store, args.logs, args.failures)
    with open_store(settings.store) as db:
        seed_golden(db, settings)
        t1 = time.perf_counter()
        result = mine_failures(db, settings)
        t2 = time.perf_counter()
        again = mine_failures(db, settings)
        t3 = time.perf_counter()
    v = result.version
    assert v is not None and again.version is None
    rss = peak_rss_mb()
    print(f"logs {args.logs:,}, failing logs {result.failures:,} ({result.kinds}); setup {t1 - t0:.1f} s")
    print(
        f"mine ({args.method}): {t2 - t1:.2f} s -> v{v.version}: {len(result.new_cases):,} new cases, "
        f"{len(result.updated_cases)} golden cases updated, {len(result.group_sizes):,} groups, "
        f"largest {result.group_sizes[:8]}"
    )
    print(f"rerun on the same window: {t3 - t2:.2f} s, nothing new (idempotent)")
    print(f"peak RSS {rss:.0f} MB")
    print(
        f"ratio to target: time {(t2 - t1) / TARGET_S:.2f} of {TARGET_S:.0f} s, memory {rss / TARGET_MB:.2f} "
        f"of {TARGET_MB:.0f} MB (<= 1 meets it)"
    )


if __name__ == "__main__":
    main()
