"""The per-stage sections of the config ([ingest], [cases], [metrics], [online], [parity], [report]).

paritylab.config holds the root `Settings` (store, models, prompts, candidates) and the loading; it
re-exports these, so `from paritylab.config import IngestConfig` is the way to import them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    """Unknown keys are errors; settings never change once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# The prefix Python's logging module writes by default (basicConfig): LEVEL:logger:
LOGGING_PREFIX = r"^(?:DEBUG|INFO|WARNING|ERROR|CRITICAL):([A-Za-z0-9_.\-]+):"


class IngestConfig(Strict):
    """How production logs are sampled, gated and redacted on the way in."""

    sample_rate: float = Field(1.0, ge=0, le=1, description="share of successful calls kept")
    sample_count: int | None = Field(None, ge=0, description="or: keep at most this many per batch")
    seed: int = 0
    latency_slo_ms: float = Field(10_000.0, gt=0, description="slower calls count as failures: all kept")
    record_logger: str = Field("llm_calls", description="logger name of records in logging-module files")
    logging_prefix: str = Field(
        LOGGING_PREFIX,
        description="regex of the prefix a logging-module line has before its message (RE2 and Python): "
        "anchored with ^, its one group the logger name",
    )
    max_raw_chars: int = Field(4096, ge=256, description="quarantined raw rows are cut to this length")
    redact_extra: dict[str, str] = Field({}, description="extra PII patterns: KIND = RE2 regex")
    memory_limit_mb: int = Field(1024, ge=64, description="DuckDB memory during ingest; beyond it spills")
    columns: dict[str, str] = Field(
        {}, description='Parquet/CSV logs: wrapper field = table column, e.g. prompt = "input"'
    )

    @field_validator("logging_prefix")
    @classmethod
    def _anchored_with_one_group(cls, value: str) -> str:
        try:
            groups = re.compile(value, re.ASCII).groups
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        if not value.startswith("^") or groups != 1:
            raise ValueError(
                "must start with ^ and capture the logger name in its one group, e.g. for the format "
                "'%(asctime)s %(levelname)s %(name)s: %(message)s': "
                r"'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ([\w.-]+): ' (other groups as (?:...))"
            )
        return value


# RE2 (the miner runs them in DuckDB over stored answers).
CASES_REFUSAL_PATTERNS: tuple[str, ...] = (
    r"(?i)\bI.?m sorry,? (?:but )?I can(?:not|.t) (?:help|assist)",
    r"(?i)\bsorry,? I can(?:not|.t) (?:help|assist)",
    r"(?i)\bI(?:.m| am) (?:not able|unable) to (?:help|assist)",
    r"(?i)\bI can only help with questions about",
    r"(?i)\bI (?:can(?:not|.t)|won.t) (?:help|assist) with (?:that|this)",
)


class CasesConfig(Strict):
    """How failures are mined into eval cases and where dataset versions are written."""

    datasets_dir: Path = Field(Path("datasets"), description="dataset versions go to <dir>/<name>/v<N>/")
    dataset: str = Field("support-evals", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    golden_file: Path = Field(Path("datasets/golden/cases.jsonl"), description="curated seed of v1")
    dedupe_method: Literal["minhash", "tfidf", "embedding"] = "minhash"
    dedupe_threshold: float | None = Field(
        None, gt=0, le=1, description="Jaccard (minhash) or cosine; unset: 0.6 / 0.8 / 0.85 by method"
    )
    embedding_model: str = Field("all-MiniLM-L6-v2", description="sentence-transformers model (offline)")
    latency_slo_ms: float | None = Field(None, gt=0, description="unset: reuse [ingest].latency_slo_ms")
    refusal_patterns: tuple[str, ...] = Field(CASES_REFUSAL_PATTERNS, description="RE2 regexes")
    output_schemas: dict[str, dict[str, Any]] = Field({}, description="app -> JSON schema of its output")
    low_score_threshold: float = Field(0.5, ge=0, le=1, description="online scores below it are failures")


class ReportConfig(Strict):
    """Where HTML reports go and how much each shows."""

    dir: Path = Field(Path("reports"), description="folder of the reports and their index.html")
    trend_nights: int = Field(14, ge=1, le=365, description="past runs of the same kind in the trends")
    regressions: int = Field(20, ge=0, le=500, description="worst regressions shown per candidate")
    new_cases: int = Field(25, ge=0, le=1000, description="new eval cases of the night listed")
    max_text_chars: int = Field(1200, ge=80, description="longer texts are cut in the report")


DEFAULT_CRITERIA = (
    "Faithfulness: every claim in the answer is supported by the context.",
    "Relevance: the answer addresses the question that was asked.",
    "Correctness: when a reference answer is given, the answer agrees with it.",
)
# Python regexes (the no_refusal policy metric runs them on each answer).
POLICY_REFUSAL_PATTERNS: tuple[str, ...] = (
    r"\bI(?:'m| am) (?:sorry|afraid)\b.{0,40}\b(?:can(?:'|no)t|cannot|unable|not able)\b",
    r"\bI(?:'m| am) not able to (?:help|assist)\b",
    r"\bI can(?:'|no)t (?:help|assist) with\b",
    r"\bI cannot (?:help|assist|comply)\b",
    r"\bas an AI\b",
)


class RubricConfig(Strict):
    """The rubric judge (G-Eval style): criteria and an integer scale; the score is normalised to [0, 1]."""

    criteria: tuple[str, ...] = Field(DEFAULT_CRITERIA, min_length=1)
    scale_min: int = Field(1, ge=0)
    scale_max: int = Field(5, ge=1)
    max_tokens: int = Field(400, ge=16, description="judge reply budget")

    @model_validator(mode="after")
    def _scale_is_a_range(self) -> RubricConfig:
        if self.scale_max <= self.scale_min:
            raise ValueError(f"scale_max ({self.scale_max}) must be above scale_min ({self.scale_min})")
        return self


class PolicyConfig(Strict):
    """Checks without an LLM: refusals, PII in answers, JSON validity, length and format rules."""

    refusal_patterns: tuple[str, ...] = Field(POLICY_REFUSAL_PATTERNS, description="Python regexes")
    json_schema: dict[str, Any] | None = Field(None, description="json_valid: the schema answers must meet")
    min_chars: int = Field(1, ge=0)
    max_chars: int | None = Field(None, ge=1)
    must_match: str | None = Field(None, description="format_ok: regex the answer must contain")
    must_not_match: str | None = Field(None, description="format_ok: regex the answer must not contain")


EmbeddingsBackend = Literal["lexical", "openai", "sentence-transformers"]


class MetricsConfig(Strict):
    """Which metrics run, and how the judges and embeddings behind them are set up."""

    enabled: tuple[str, ...] = Field(
        ("token_f1", "grounded"), description="metric names; `paritylab judge metrics` lists them"
    )
    pairwise: bool = Field(False, description="also judge each candidate against the baseline, A vs B")
    rubric: RubricConfig = Field(default_factory=lambda: RubricConfig.model_validate({}))
    policy: PolicyConfig = Field(default_factory=lambda: PolicyConfig.model_validate({}))
    embeddings: EmbeddingsBackend = "lexical"
    embeddings_model: str | None = Field(
        None, description="openai: the embedding model id; sentence-transformers: a model name or path"
    )
    embeddings_endpoint: str | None = Field(
        None, description="openai: the [models] entry whose url/key to use"
    )
    ragas_model: str | None = Field(
        None, description="[models] entry for ragas' LLM metrics (default: judge)"
    )
    ragas_concurrency: int = Field(8, ge=1, le=256, description="ragas calls in flight at once")


class OnlineConfig(Strict):
    """Online evals: production responses scored as logged, aggregated per day and watched for drift."""

    metrics: tuple[str, ...] = Field(
        ("grounded",), min_length=1, description="reference-free metrics from the registry (judges too)"
    )
    sample_rate: float = Field(1.0, ge=0, le=1, description="share of answered calls scored (seeded hash)")
    max_per_day: int | None = Field(500, ge=1, description="at most this many scored calls per UTC day")
    seed: int = 0
    window_days: int = Field(1, ge=1, le=366, description="days scored per run, ending at the latest log")
    trailing_days: int = Field(7, ge=1, le=90, description="each day is compared with this many before it")
    tolerance: float = Field(0.02, ge=0, le=1, description="degraded only if the CI of the drop exceeds it")
    confidence: float = Field(0.95, gt=0.5, lt=1)
    bootstrap_resamples: int = Field(2000, ge=200, le=100_000)
    min_scored: int = Field(20, ge=2, description="fewer scored items on either side: no comparison")
    low_score_threshold: float = Field(0.5, ge=0, le=1, description="items below it feed the miner")
    cost_per_call_budget_usd: float | None = Field(None, gt=0)
    daily_cost_budget_usd: float | None = Field(None, gt=0, description="per app/model/prompt version")
    latency_p95_slo_ms: float | None = Field(None, gt=0)
    error_rate_slo: float | None = Field(None, ge=0, le=1)
    chunk_size: int = Field(250, ge=1, description="items per scoring task")
    task_runner: Literal["threads", "dask"] = Field("threads", description="dask needs a Prefect server")
    dask_workers: int = Field(2, ge=1, le=64)


class MetricGate(Strict):
    """How one metric takes part in the parity verdict."""

    margin: float = Field(0.05, ge=0, le=1, description="non-inferiority margin: delta >= -margin is parity")
    gated: bool = Field(True, description="gated metrics decide the verdict; others are reported only")


class ParityConfig(Strict):
    """Model-upgrade comparison: which metrics decide, with which margins, budgets and statistics."""

    baseline: str | None = Field(None, description="candidate name the others are compared with")
    dataset: str | None = Field(
        None, description="eval dataset NAME or NAME@vN (latest version); unset: [cases].dataset"
    )
    metrics: dict[str, MetricGate] = Field(
        default_factory=lambda: {"token_f1": MetricGate.model_validate({})},
        description="metric name -> margin and whether it is gated",
    )
    resamples: int = Field(2000, ge=2000, le=100_000, description="bootstrap resamples")
    seed: int = 0
    alpha: float = Field(0.05, gt=0, lt=0.5, description="two-sided: the CI is (1 - alpha)")
    ci_method: Literal["bca", "percentile"] = "percentile"
    # Planned at 85% so that the realised PASS rate at true parity stays >= 80% at the advised N: the
    # power formula is a normal approximation and measured ~80% +- 1.5% when planned at exactly 80%.
    power: float = Field(0.85, gt=0.5, lt=1, description="planned chance that the advised N decides")
    min_cases: int = Field(30, ge=2, description="fewer paired cases decide nothing")
    max_cases_needed: int = Field(20_000, ge=100, description="the cases-needed estimate is capped here")
    max_cost_per_success_ratio: float | None = Field(1.10, gt=0, description="vs the baseline")
    max_p95_latency_ms: float | None = Field(None, gt=0)
    max_p95_latency_ratio: float | None = Field(1.25, gt=0, description="vs the baseline")
    max_error_rate_increase: float | None = Field(0.02, ge=0, le=1, description="absolute, vs baseline")
    max_judge_failure_rate: float = Field(0.10, ge=0, le=1)
    max_swap_inconsistency: float = Field(0.20, ge=0, le=1, description="pairwise judge, both orders")
    batch_size: int = Field(50, ge=1, le=10_000, description="cases per generate/score batch")
