"""PII redaction throughput: DuckDB bulk path (`redact_table`) vs pure Python (`redact_many`).

Synthetic log rows (prompt + response, ~5% of rows carrying PII, the rest full of near-misses: dates,
versions, prices, order ids, times) in an in-memory DuckDB table. Both paths redact the same two text
columns; the script checks they agree, then prints rows/s for each, their ratio and peak RSS.
Target: DuckDB path >= 300k rows/s with 2 text columns on a 2-core machine.

    python bench/redact.py [--rows 200000] [--pii-rate 0.05] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import time

from _common import peak_rss_mb

from paritylab.ingest.redact import Redactor

PII = [
    "jane.roe+billing@example.org",
    "(555) 123-4567",
    "+44 20 7946 0958",
    "+49 30 1234567",
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432",
    "123-45-6789",
    "AB123456C",
    "sk-proj-Q2x9LmP4vT7rW1zY8kN3bH6cJ0dF5gA",
    "AKIAIOSFODNN7EXAMPLE",
    "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "192.168.10.24",
    "2001:db8::8a2e:370:7334",
]
PROMPTS = [
    "You are a support assistant for Acme. Answer using only the context.\n<context>\nRefunds for annual "
    "plans are available within 30 days of purchase (policy v{v}, updated {d}). Orders ship in 2-5 days."
    "\n</context>\n<question>\nWhere is order {o}? I paid ${p} on {d} at {t}.{pii}\n</question>",
    "Summarise the ticket #{o} for the on-call engineer. Service version {v}; incident opened {d} {t}. "
    "Customer reports checkout errors after upgrading; latency p95 {p} ms.{pii}",
    "Translate to German: 'Your invoice {o} for ${p} is due on {d}.'{pii} Keep numbers unchanged.",
]
RESPONSES = [
    "Order {o} shipped on {d} and should arrive within 2-5 business days. The total was ${p}.{pii}",
    "Ticket {o}: checkout fails since release {v} ({d} {t}). Next step: roll back and page payments.{pii}",
    "Ihre Rechnung {o} über ${p} ist am {d} fällig.{pii}",
]


def synthetic_rows(n: int, pii_rate: float, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    prompts, responses = [], []
    for i in range(n):
        fill = {
            "v": f"{rng.randint(1, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
            "d": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "t": f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
            "o": f"ORD-{100000 + i}",
            "p": f"{rng.randint(5, 2000)}.{rng.randint(0, 99):02d}",
        }
        has_pii = rng.random() < pii_rate
        pii_in = f" Contact: {rng.choice(PII)}." if has_pii and rng.random() < 0.7 else ""
        pii_out = f" On file: {rng.choice(PII)}." if has_pii and not pii_in else ""
        prompts.append(rng.choice(PROMPTS).format(pii=pii_in, **fill))
        responses.append(rng.choice(RESPONSES).format(pii=pii_out, **fill))
    return prompts, responses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--pii-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import duckdb

    prompts, responses = synthetic_rows(args.rows, args.pii_rate, args.seed)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE logs AS SELECT unnest(range(?::BIGINT)) AS log_id, "
        "unnest(?::VARCHAR[]) AS input_text, unnest(?::VARCHAR[]) AS output_text",
        [args.rows, prompts, responses],
    )
    redactor = Redactor()

    started = time.perf_counter()
    db_counts = redactor.redact_table(con, "logs", ["input_text", "output_text"])
    db_s = time.perf_counter() - started

    started = time.perf_counter()
    py_in, in_counts = redactor.redact_many(list(prompts))
    py_out, out_counts = redactor.redact_many(list(responses))
    py_s = time.perf_counter() - started

    rows = con.execute("SELECT input_text, output_text FROM logs ORDER BY log_id").fetchall()
    same_text = rows == list(zip(py_in, py_out, strict=True))
    same_counts = db_counts == in_counts + out_counts
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    print(f"rows: {args.rows:,} x 2 text columns, PII rate {args.pii_rate:.0%}, duckdb threads {threads[0]}")
    print(f"counts: {dict(sorted(db_counts.items()))}")
    print(f"duckdb redact_table : {db_s:6.2f} s  {args.rows / db_s:>10,.0f} rows/s  (target >= 300,000)")
    print(f"python redact_many  : {py_s:6.2f} s  {args.rows / py_s:>10,.0f} rows/s")
    print(f"ratio duckdb/python : {py_s / db_s:6.1f}x")
    print(f"identical text: {same_text}, identical counts: {same_counts}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    if not (same_text and same_counts):
        raise SystemExit("the DuckDB and Python paths disagree")


if __name__ == "__main__":
    main()
