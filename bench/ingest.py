"""Ingest throughput: N generated logging-wrapper rows -> sample + validate + redact + store.

Prints rows/s scanned (target >= 200k/s), peak RSS (target < 2 GB), CPU time (how much of the 2 cores the
ingest used, and the rate that CPU time allows at best: every core busy all along), and the ratio to
`pandas.read_json(lines=True)` on the same file (run in a child process, so its memory is its own). Two
floors in the same run say what DuckDB alone needs: reading the sampling fields, and reading every field +
sampling + storing the kept rows (no line numbers, no typed problem reasons, no quarantine, no Great
Expectations, no redaction). The file is then ingested again in the same process (`--warm-runs`, min and
median printed: this machine's speed varies by 20-40%): without the one-time Great Expectations import
(measured apart, in a fresh interpreter), as a worker ingesting its next file would.

The prompts are short (~250 characters) unless `--context-chars` pads each retrieved context to about
that many characters, as RAG prompts are: `--rows 200000 --context-chars 5000` makes a 1 GB file.

    python bench/ingest.py [--rows 1000000] [--sample-rate 0.1] [--warm-runs 3] [--skip-pandas]
                           [--context-chars N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import peak_rss_mb

from paritylab.config import IngestConfig, Settings
from paritylab.ingest import validator
from paritylab.ingest.run import ingest_paths
from paritylab.ingest.validate import validator_usage

GENERATE_CHILD = """
import sys
from pathlib import Path
from ingest import generate
generate(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
"""
PANDAS_CHILD = """
import resource, sys, time, pandas as pd
t = time.perf_counter(); df = pd.read_json(sys.argv[1], lines=True); s = time.perf_counter() - t
print(f"{s} {len(df)} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}")
"""


# one retrieved passage, repeated to pad a context (each copy with its own order number, so not all alike)
PASSAGE = "'Refunds for annual plans are available within 30 days of purchase, order ' || (i % 977) || '. '"


def generate(path: Path, rows: int, context_chars: int = 0) -> None:
    """Realistic wrapper rows written by DuckDB: 3% errors, 8% thumbs-down, 2% guardrail hits, ~5% PII."""
    import duckdb

    padding = f"repeat({PASSAGE}, {context_chars // 80}) || " if context_chars >= 80 else ""
    duckdb.execute("SET enable_progress_bar = false")  # the bench's own output only
    duckdb.execute(f"""
        COPY (SELECT
            strftime(TIMESTAMPTZ '2026-11-16 00:00:00+00' + INTERVAL (i * 400) MILLISECOND,
                     '%Y-%m-%dT%H:%M:%S.%gZ') AS ts,
            'req_' || i AS request_id, 'helpdesk-assistant' AS app, 'gpt-4o-mini' AS model,
            'support-v3' AS prompt_version,
            'You are the help-centre assistant. <context>' || {padding}
              'Refunds for annual plans are available within '
              || '30 days of purchase. Approved refunds are returned within 5 to 10 business days.</context> '
              || '<question>'
              || CASE WHEN i % 20 = 0 THEN 'My card 4111 1111 1111 1111 was charged twice, mail me at jo'
                      || i || '@example.com' ELSE 'How long do refunds take for order ' || i || '?' END
              || '</question>' AS prompt,
            CASE WHEN i % 33 = 0 THEN NULL
                 ELSE 'Approved refunds are returned within 5 to 10 business days.' END AS response,
            180 + i % 50 AS input_tokens, CASE WHEN i % 33 = 0 THEN NULL ELSE 14 END AS output_tokens,
            (180 + i % 50) * 0.15e-6 + 14 * 0.6e-6 AS est_cost_usd, 400 + (i * 7919) % 2500 AS latency_ms,
            i % 33 <> 0 AS ok, CASE WHEN i % 33 = 0 THEN 'RateLimitError: 429 Too Many Requests' END AS error,
            CASE WHEN i % 12 = 0 THEN -1 WHEN i % 10 = 0 THEN 1 END AS feedback,
            CASE WHEN i % 50 = 0 THEN ['off_topic'] ELSE [] END AS guardrails
          FROM range({rows}) t(i))
        TO '{path}' (FORMAT json)""")


def scan_floor(path: Path) -> float:
    """The least any ingest of this file must spend: one DuckDB scan parsing the fields sampling reads."""
    import duckdb

    started = time.perf_counter()
    duckdb.execute(f"""SELECT count(*), count(request_id), sum(latency_ms) FROM read_json('{path}',
        format = 'newline_delimited', columns = {{request_id: 'VARCHAR', ok: 'BOOLEAN', error: 'VARCHAR',
        feedback: 'INTEGER', latency_ms: 'DOUBLE', guardrails: 'VARCHAR[]'}})""").fetchall()
    return time.perf_counter() - started


def store_floor(path: Path, tmp: Path, slo_ms: float, rate: float) -> tuple[float, int]:
    """DuckDB's own typed read_json of every field, the same seeded sampling, the kept rows stored."""
    import duckdb

    con = duckdb.connect(str(tmp / "floor.duckdb"))
    started = time.perf_counter()
    con.execute(f"""CREATE TABLE logs AS SELECT * FROM read_json('{path}', format = 'newline_delimited',
        columns = {{ts: 'TIMESTAMPTZ', request_id: 'VARCHAR', app: 'VARCHAR', model: 'VARCHAR',
          prompt_version: 'VARCHAR', prompt: 'VARCHAR', response: 'VARCHAR', input_tokens: 'BIGINT',
          output_tokens: 'BIGINT', est_cost_usd: 'DOUBLE', latency_ms: 'DOUBLE', ok: 'BOOLEAN',
          error: 'VARCHAR', feedback: 'INTEGER', guardrails: 'VARCHAR[]'}})
        WHERE NOT ok OR feedback = -1 OR len(guardrails) > 0 OR latency_ms > {slo_ms}
           OR ('0x' || left(md5('0:wrapper:' || request_id), 12))::BIGINT / 281474976710656.0 < {rate}""")
    con.execute("CHECKPOINT")
    elapsed = time.perf_counter() - started
    [(kept,)] = con.execute("SELECT count(*) FROM logs").fetchall()
    con.close()
    return elapsed, int(kept)


def timed_ingest(db: Path, path: Path, cfg: IngestConfig) -> tuple[float, float, Any]:
    """(wall s, CPU s, batch summary) of one ingest of `path` into a new store, the way `paritylab
    ingest` and the ingest flow run it (the store opened and migrated, the unchanged check included)."""
    started, cpu = time.perf_counter(), cpu_seconds()
    [batch] = ingest_paths(Settings(store=db, ingest=cfg), [str(path)], "wrapper")
    return time.perf_counter() - started, cpu_seconds() - cpu, batch


def phases(batch: Any) -> str:
    """Each phase's wall seconds and this process's CPU seconds in it (at most the wall times the cores)."""
    cpu = batch.cpu_timings
    return ", ".join(f"{name} {wall:.2f} s (CPU {cpu[name]:.2f})" for name, wall in batch.timings.items())


def gx_import_cpu() -> float:
    """CPU seconds of `import great_expectations` in a fresh interpreter, as the validator process
    imports it (sqlalchemy hidden, scipy.stats and altair deferred, no OpenBLAS threads): a fixed cost per
    process."""
    code = (
        "import time; t = time.process_time(); from paritylab.ingest import validator; "
        "validator.prepare_gx_import(); import great_expectations; print(time.process_time() - t)"
    )
    run = [sys.executable, "-c", code]
    out = subprocess.run(run, capture_output=True, text=True, check=True, env=validator.child_env())
    return float(out.stdout.split()[-1])


def cpu_bound(rows: int, cpu: float) -> str:
    """The rate this much CPU time allows at best, every core busy the whole time: the physical limit of
    the run's work on this machine (past it, only less work is faster, not more overlap)."""
    cores = os.cpu_count() or 1
    best = rows * cores / cpu
    return f"at best {best / 1000:.0f}k rows/s with all {cores} cores busy, ratio {best / 200_000:.2f}"


def cpu_seconds() -> float:
    """CPU time of this process plus its Great Expectations validator (paritylab.ingest.validator)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + (validator_usage()[0] if validator.running() else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--sample-rate", type=float, default=0.1)
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument(
        "--warm-runs", type=int, default=3, help="ingests of the file in the same process after the first"
    )
    ap.add_argument("--memory-mb", type=int, default=1024, help="DuckDB memory limit during ingest")
    ap.add_argument(
        "--context-chars", type=int, default=0, help="pad each prompt's context to about this many characters"
    )
    ap.add_argument(
        "--latency-slo-ms",
        type=float,
        default=2500,
        help="calls slower than this are failures, all kept (latencies run 400-2900 ms: 2500 keeps 16%%)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wrapper.jsonl"
        # in a child process: DuckDB's generator must not count in this process's peak RSS
        subprocess.run(
            [sys.executable, "-c", GENERATE_CHILD, str(path), str(args.rows), str(args.context_chars)],
            check=True,
            cwd=Path(__file__).parent,
        )
        size_mb = path.stat().st_size / 1e6
        cfg = IngestConfig(
            sample_rate=args.sample_rate, latency_slo_ms=args.latency_slo_ms, memory_limit_mb=args.memory_mb
        )
        elapsed, cpu, batch = timed_ingest(Path(tmp) / "bench.duckdb", path, cfg)
        rate = batch.seen / elapsed
        print(
            f"file: {args.rows} rows, {size_mb:.0f} MB ({size_mb * 1e6 / args.rows:.0f} bytes a row); "
            f"sample rate {args.sample_rate}"
        )
        print(
            f"paritylab ingest: {elapsed:.2f} s = {rate / 1000:.0f}k rows/s scanned (target >= 200k/s, "
            f"ratio {rate / 200_000:.2f}); stored {batch.stored}, sampled out {batch.sampled_out}, "
            f"quarantined {batch.quarantined}, reconciles: {batch.reconciles()}"
        )
        print(f"kept because: {batch.kept_kinds}; redactions: {batch.redactions}")
        scan = batch.timings["scan"]
        print(
            f"phases: {phases(batch)}; scan phase (read, classify, light parse of every line): "
            f"{batch.seen / scan / 1000:.0f}k rows/s (ratio {batch.seen / scan / 200_000:.2f})"
        )
        own, checker = peak_rss_mb(), validator_usage()[1]
        print(
            f"peak RSS: {own + checker:.0f} MB (target < 2048 MB): this process {own:.0f} MB + the Great "
            f"Expectations validator process {checker:.0f} MB"
        )
        print(
            f"CPU: {cpu:.1f} s over {elapsed:.1f} s wall = {cpu / elapsed:.2f} of {os.cpu_count()} cores "
            f"busy, both processes (includes importing Great Expectations: {gx_import_cpu():.1f} CPU-s "
            f"alone, done in the validator process while this one scans): {cpu_bound(batch.seen, cpu)}"
        )
        walls = []
        for i in range(args.warm_runs):  # a new store each time: nothing is already stored
            warm, warm_cpu, warm_batch = timed_ingest(Path(tmp) / f"warm{i}.duckdb", path, cfg)
            walls.append(warm)
            rate = warm_batch.seen / warm
            print(
                f"the same file again in the same process (GX imported, as a worker's next file), "
                f"run {i + 1}: {warm:.2f} s = {rate / 1000:.0f}k rows/s (ratio {rate / 200_000:.2f}), "
                f"CPU {warm_cpu:.1f} s ({cpu_bound(warm_batch.seen, warm_cpu)}); phases: {phases(warm_batch)}"
            )
        if walls:  # --warm-runs 0: the fresh-process ingest only
            best, middle = args.rows / min(walls), args.rows / statistics.median(walls)
            print(
                f"warm runs: best {best / 1000:.0f}k rows/s (ratio {best / 200_000:.2f}), "
                f"median {middle / 1000:.0f}k rows/s (ratio {middle / 200_000:.2f})"
            )
        floor = scan_floor(path)
        print(
            f"floor, same file: DuckDB read_json of the sampling fields alone takes {floor:.2f} s = "
            f"{args.rows / floor / 1000:.0f}k rows/s; paritylab's whole ingest is {elapsed / floor:.1f}x that"
        )
        stored, kept = store_floor(path, Path(tmp), cfg.latency_slo_ms, args.sample_rate)
        print(
            f"floor, same file: DuckDB read_json of every field + the same sampling + storing the {kept} "
            f"kept rows takes {stored:.2f} s = {args.rows / stored / 1000:.0f}k rows/s; paritylab is "
            f"{elapsed / stored:.1f}x that (it also numbers lines, types every field with reasons, "
            "quarantines, validates with GX, redacts)"
        )
        if not args.skip_pandas:
            out = subprocess.run(
                [sys.executable, "-c", PANDAS_CHILD, str(path)], capture_output=True, text=True, check=True
            ).stdout.split()
            p_s, p_rss = float(out[0]), float(out[2])
            print(
                f"pandas.read_json(lines=True): {p_s:.2f} s = {args.rows / p_s / 1000:.0f}k rows/s, "
                f"peak RSS {p_rss:.0f} MB; paritylab is {p_s / elapsed:.1f}x faster "
                f"(and also samples, validates, redacts and stores)"
            )


if __name__ == "__main__":
    main()
