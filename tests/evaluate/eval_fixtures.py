"""Helpers for the offline-eval tests (not a conftest.py: `from conftest import ...` elsewhere must keep
finding tests/conftest.py): a realistic case set generated from the sample knowledge base, the
sim candidates of different quality profiles, and eval_cases rows inserted like the case builder does."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from paritylab.config import Settings, load_settings
from paritylab.providers.base import Provider
from paritylab.providers.sim_adapter import SimProvider
from paritylab.sim.profiles import get_profile
from paritylab.store import Store
from paritylab.store.ledger import utcnow

ROOT = Path(__file__).resolve().parents[2]
SIM_KEY_ENV = "SIMTEST_API_KEY"
PROFILES = {
    "good": (0.15, 0.60),
    "equivalent": (0.10, 0.40),
    "slightly-worse": (0.08, 0.30),
    "weak": (0.05, 0.20),
    "flaky": (0.15, 0.60),
}
CANDIDATES = {
    "baseline": "good",
    "equivalent": "equivalent",
    "slightly-worse": "slightly-worse",
    "weak": "weak",
}


def _kb() -> Any:
    spec = importlib.util.spec_from_file_location("tandem_kb", ROOT / "datasets" / "sample" / "tandem_kb.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kb_cases() -> list[dict[str, Any]]:
    """447 cases: each question phrasing of the sample KB (149) asked with three retrievals, as in
    production where the same question meets different retrieved documents: the right article plus
    1, 2 or 3 distractors (same topic first), in rotating order. Reference: the grounded answer; tags:
    the topic and the number of retrieved documents; failure kind where the KB lists hallucinations."""
    kb = _kb()
    articles = {a.doc_id: a for a in kb.ARTICLES}
    rows = []
    for qa in kb.QAS:
        right = articles[qa.doc_id]
        same = [a for a in kb.ARTICLES if a.cluster == right.cluster and a.doc_id != right.doc_id]
        pool = same + [a for a in kb.ARTICLES if a.cluster != right.cluster]
        for i, question in enumerate(qa.phrasings):
            for extra in (1, 2, 3):
                docs = [right.text] + [pool[(i + j) % len(pool)].text for j in range(extra)]
                turn = (i + extra) % len(docs)
                rows.append(
                    {
                        "case_id": f"kb-{qa.qid}-{i}-{extra}",
                        "question": question,
                        "context": "\n\n".join(docs[turn:] + docs[:turn]),
                        "reference": qa.answer,
                        "tags": [right.cluster, f"docs-{extra + 1}"],
                        "failure_kind": "hallucination" if qa.hallucinations else None,
                    }
                )
    return rows


def smoke_cases() -> list[dict[str, Any]]:
    lines = (ROOT / "datasets" / "smoke" / "cases.jsonl").read_text().splitlines()
    return [
        {
            **{k: r[k] for k in ("case_id", "question", "context", "reference")},
            "tags": [r["doc"]],
            "failure_kind": None,
        }
        for r in map(json.loads, lines)
    ]


def insert_cases(store: Store, dataset: str, version: int, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        store.execute(
            "INSERT INTO eval_cases (dataset, version, case_id, question, input_messages, context, "
            "reference, tags, failure_kind, evidence, origin_log_ids, group_size, created_at) "
            "VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, [], 1, ?)",
            [
                dataset,
                version,
                r["case_id"],
                r["question"],
                r["context"],
                r["reference"],
                r["tags"],
                r["failure_kind"],
                utcnow(),
            ],
        )


def write_config(path: Path, store: Path, *, sim_url: str | None = None, extra: str = "") -> Path:
    """The sim candidates: in-process `sim` models, or the same behind sim-serve through the OpenAI SDK."""
    parts = [f'store = "{store}"']
    for profile, (pin, pout) in PROFILES.items():
        parts.append(f"[models.{profile}]")
        if sim_url:
            parts.append(f'provider = "openai"\nmodel = "sim-{profile}"\nbase_url = "{sim_url}/v1"')
            parts.append(f'api_key_env = "{SIM_KEY_ENV}"\ntimeout_s = 60')  # a hang guard (slow CI)
        else:
            parts.append(f'provider = "sim"\nmodel = "sim-{profile}"\nprofile = "{profile}"')
        parts.append(f"price_input_per_mtok = {pin}\nprice_output_per_mtok = {pout}\nconcurrency = 16")
        parts.append("max_retries = 1\nbackoff_base_s = 0.01\nbackoff_max_s = 0.02")
    parts.append('[prompts.support-v1]\nversion = "1"\nsystem = "Answer from the context."')
    parts.append('template = "<context>\\n{context}\\n</context>\\n<question>\\n{question}\\n</question>"')
    for name, model in CANDIDATES.items():
        parts.append(f'[candidates.{name}]\nmodel = "{model}"\nprompt = "support-v1"')
        parts.append("params = { temperature = 0.0, max_tokens = 256 }")
    parts.append('[parity]\nbaseline = "baseline"\ndataset = "kb"\nbatch_size = 40')
    parts.append("[parity.metrics.token_f1]\nmargin = 0.05\n[parity.metrics.grounded]\nmargin = 0.05")
    path.write_text("\n".join(parts) + "\n" + extra)
    return path


def fast_providers(speedup: float = 100.0) -> dict[str, Provider]:
    """The in-process sim with its quality profiles, latencies divided by `speedup` (their ratios, which
    the latency budget compares, are kept). Injected through the runner's `providers` argument."""
    out: dict[str, Provider] = {}
    for name in PROFILES:
        profile = get_profile(name)
        out[name] = SimProvider(
            profile.with_latency(profile.latency_median_ms / speedup, profile.latency_p95_ms / speedup)
        )
    return out


def kb_settings_in(tmp_path: Path, store: Store) -> Settings:
    """Settings for the sim candidates over a store holding dataset kb@v1 (447 cases) and smoke@v1 (14).
    Closes `store` (the comparison opens the file itself)."""
    insert_cases(store, "kb", 1, kb_cases())
    insert_cases(store, "smoke", 1, smoke_cases())
    db_path = store.path
    store.close()
    return load_settings(write_config(tmp_path / "paritylab.toml", db_path), env={})
