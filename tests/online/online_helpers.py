"""Online-eval test helpers: production logs written straight into a real store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from paritylab.config import Settings
from paritylab.store import Store

CONTEXT = ["Refunds are available within thirty days of purchase.", "Annual plans renew every year."]
GROUNDED = "Refunds are available within thirty days of purchase."  # grounded = 1.0
UNGROUNDED = "Refunds take ninety weeks."  # grounded = 0.0
# Two of three sentences supported: grounded = 2/3.
TWO_THIRDS = (
    "Refunds are available within thirty days. Annual plans renew every year. Refunds take ninety weeks."
)
DAY0 = datetime(2026, 11, 10, tzinfo=UTC)


@dataclass
class LogFactory:
    store: Store
    count: int = 0

    def add(self, day: int, output: str | None, n: int = 1, **kw: Any) -> list[str]:
        """n logged calls on DAY0 + day (hour 12), answering `output`."""
        ids, rows = [], []
        for _ in range(n):
            self.count += 1
            log_id = kw.pop("log_id", None) or f"log-{self.count:05d}"
            rows.append({
                "log_id": log_id, "ts": DAY0 + timedelta(days=day, hours=12, seconds=self.count),
                "app": "helpdesk", "model": "m1", "prompt_version": "v1", "question": "Can I get a refund?",
                "context": json.dumps(CONTEXT), "output_text": output, "status": "ok",
                "cost_usd": 0.001, "latency_ms": 100.0,
                "kept_because": "sampled", "source_format": "wrapper", "source": "test",
                "position": self.count, "batch_id": "b1",
            } | kw)  # fmt: skip
            ids.append(log_id)
        batch = pa.Table.from_pylist(rows)  # one insert: row-by-row DuckDB inserts are slow
        self.store.con.register("new_logs", batch)
        self.store.execute("INSERT INTO stored_logs BY NAME SELECT * FROM new_logs")
        self.store.con.unregister("new_logs")
        return ids


def online_settings(db_path: Path, **online: Any) -> Settings:
    return Settings.model_validate({"store": str(db_path), "online": {"bootstrap_resamples": 500, **online}})
