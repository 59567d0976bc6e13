"""One typed config: paritylab.toml plus PARITYLAB_* environment overrides.

Precedence: built-in defaults < paritylab.toml < PARITYLAB_* variables < command-line flags (--store).
Nested keys are addressed with double underscores: PARITYLAB_MODELS__GPT4O__CONCURRENCY=16.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from paritylab.errors import ConfigError
from paritylab.hashing import content_hash

DEFAULT_CONFIG_FILE = "paritylab.toml"
DEFAULT_STORE = Path(".paritylab/paritylab.duckdb")
ENV_PREFIX = "PARITYLAB_"
_NOT_FIELDS = {"CONFIG", "HOME"}  # the config file itself; the checkout prefect.yaml runs flows in
ProviderKind = Literal["openai", "anthropic", "openai_compatible", "sim"]
DEFAULT_KEY_ENV: dict[str, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelConfig(_Strict):
    """One callable model endpoint, with its limits and prices."""

    provider: ProviderKind
    model: str = Field(description="the provider's model id, e.g. gpt-4o-mini")
    base_url: str | None = Field(None, description="endpoint; ${VAR} is expanded from the environment")
    api_key_env: str | None = Field(None, description="environment variable holding the key")
    profile: str | None = Field(None, description="sim only: quality/latency/fault profile")
    sim_wait_scale: float = Field(
        1.0, ge=0, description="sim only: share of the simulated latency really waited (0: none)"
    )
    price_input_per_mtok: float = Field(0.0, ge=0)
    price_output_per_mtok: float = Field(0.0, ge=0)
    concurrency: int = Field(8, ge=1, le=1024)
    rpm: int | None = Field(None, ge=1, description="requests per minute; unset = unlimited")
    tpm: int | None = Field(None, ge=1, description="tokens per minute; unset = unlimited")
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(4, ge=0, le=20)
    backoff_base_s: float = Field(0.5, gt=0)
    backoff_max_s: float = Field(30.0, gt=0)
    max_retry_after_s: float = Field(120.0, gt=0, description="give up if asked to wait longer")
    fallback: str | None = Field(None, description="name of another [models] entry to try on failure")

    @model_validator(mode="before")
    @classmethod
    def _no_keys_in_files(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and {"api_key", "key", "token"} & set(data):
            raise ValueError(
                "API keys are never read from config files; put the key in an environment variable "
                "and name it with api_key_env"
            )
        return data

    def key_variable(self) -> str | None:
        """The environment variable that must hold this model's key, or None if none is needed."""
        return self.api_key_env or DEFAULT_KEY_ENV.get(self.provider)


class GenerationParams(_Strict):
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int = Field(512, ge=1)
    top_p: float | None = Field(None, gt=0, le=1)
    seed: int | None = None
    stop: tuple[str, ...] | None = None


class PromptConfig(_Strict):
    """A versioned prompt template. {question} and {context} are filled per case."""

    version: str
    system: str = ""
    template: str


class CandidateConfig(_Strict):
    """The whole behaviour-changing configuration of one answerer: model + prompt + params."""

    model: str
    prompt: str
    params: GenerationParams = Field(default_factory=lambda: GenerationParams.model_validate({}))


class IngestConfig(_Strict):
    """How production logs are sampled, gated and redacted on the way in."""

    sample_rate: float = Field(1.0, ge=0, le=1, description="share of successful calls kept")
    sample_count: int | None = Field(None, ge=0, description="or: keep at most this many per batch")
    seed: int = 0
    latency_slo_ms: float = Field(10_000.0, gt=0, description="slower calls count as failures: all kept")
    record_logger: str = Field("llm_calls", description="logger name of records in logging-module files")
    max_raw_chars: int = Field(4096, ge=256, description="quarantined raw rows are cut to this length")
    redact_extra: dict[str, str] = Field({}, description="extra PII patterns: KIND = RE2 regex")
    memory_limit_mb: int = Field(1024, ge=64, description="DuckDB memory during ingest; beyond it spills")
    columns: dict[str, str] = Field(
        {}, description="Parquet/CSV logs: wrapper field = table column, e.g. prompt = \"input\""
    )


DEFAULT_REFUSAL_PATTERNS: tuple[str, ...] = (
    r"(?i)\bI.?m sorry,? (?:but )?I can(?:not|.t) (?:help|assist)",
    r"(?i)\bsorry,? I can(?:not|.t) (?:help|assist)",
    r"(?i)\bI(?:.m| am) (?:not able|unable) to (?:help|assist)",
    r"(?i)\bI can only help with questions about",
    r"(?i)\bI (?:can(?:not|.t)|won.t) (?:help|assist) with (?:that|this)",
)


class CasesConfig(_Strict):
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
    refusal_patterns: tuple[str, ...] = Field(DEFAULT_REFUSAL_PATTERNS, description="RE2 regexes")
    output_schemas: dict[str, dict[str, Any]] = Field({}, description="app -> JSON schema of its output")
    low_score_threshold: float = Field(0.5, ge=0, le=1, description="online scores below it are failures")


class ReportConfig(_Strict):
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
DEFAULT_REFUSAL_PATTERNS = (
    r"\bI(?:'m| am) (?:sorry|afraid)\b.{0,40}\b(?:can(?:'|no)t|cannot|unable|not able)\b",
    r"\bI(?:'m| am) not able to (?:help|assist)\b",
    r"\bI can(?:'|no)t (?:help|assist) with\b",
    r"\bI cannot (?:help|assist|comply)\b",
    r"\bas an AI\b",
)


class RubricConfig(_Strict):
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


class PolicyConfig(_Strict):
    """Checks without an LLM: refusals, PII in answers, JSON validity, length and format rules."""

    refusal_patterns: tuple[str, ...] = Field(DEFAULT_REFUSAL_PATTERNS, description="Python regexes")
    json_schema: dict[str, Any] | None = Field(None, description="json_valid: the schema answers must meet")
    min_chars: int = Field(1, ge=0)
    max_chars: int | None = Field(None, ge=1)
    must_match: str | None = Field(None, description="format_ok: regex the answer must contain")
    must_not_match: str | None = Field(None, description="format_ok: regex the answer must not contain")


EmbeddingsBackend = Literal["lexical", "openai", "sentence-transformers"]


class MetricsConfig(_Strict):
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


class OnlineConfig(_Strict):
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


class MetricGate(_Strict):
    """How one metric takes part in the parity verdict."""

    margin: float = Field(0.05, ge=0, le=1, description="non-inferiority margin: delta >= -margin is parity")
    gated: bool = Field(True, description="gated metrics decide the verdict; others are reported only")


class ParityConfig(_Strict):
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


class Settings(_Strict):
    store: Path = DEFAULT_STORE
    store_lock_timeout_s: float = Field(30.0, ge=0)
    judge: str | None = None
    models: dict[str, ModelConfig] = {}
    prompts: dict[str, PromptConfig] = {}
    candidates: dict[str, CandidateConfig] = {}
    ingest: IngestConfig = Field(default_factory=lambda: IngestConfig.model_validate({}))
    cases: CasesConfig = Field(default_factory=lambda: CasesConfig.model_validate({}))
    report: ReportConfig = Field(default_factory=lambda: ReportConfig.model_validate({}))
    metrics: MetricsConfig = Field(default_factory=lambda: MetricsConfig.model_validate({}))
    online: OnlineConfig = Field(default_factory=lambda: OnlineConfig.model_validate({}))
    parity: ParityConfig = Field(default_factory=lambda: ParityConfig.model_validate({}))
    source: str = Field("<defaults>", exclude=True, description="where this config was read from")

    @model_validator(mode="after")
    def _references_resolve(self) -> Settings:
        problems = [*_model_refs(self), *_candidate_refs(self)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def candidate_id(self, name: str) -> str:
        """Hash of everything that changes a candidate's behaviour: a prompt edit is a new candidate."""
        cand = self.candidates[name]
        model = self.models[cand.model]
        prompt = self.prompts[cand.prompt]
        spec = {
            "provider": model.provider,
            "model": model.model,
            "profile": model.profile,
            "prompt": prompt.model_dump(),
            "params": cand.params.model_dump(),
        }
        return content_hash(spec, length=12)


def _model_refs(settings: Settings) -> list[str]:
    problems = []
    names = settings.models.keys()
    for name, model in settings.models.items():
        if model.fallback is not None and (model.fallback not in names or model.fallback == name):
            problems.append(f"models.{name}.fallback = '{model.fallback}' is not another [models] entry")
        if model.provider == "openai_compatible" and not model.base_url:
            problems.append(f"models.{name}: provider openai_compatible needs base_url")
    if settings.judge is not None and settings.judge not in names:
        problems.append(f"judge = '{settings.judge}' is not a [models] entry")
    for key in ("ragas_model", "embeddings_endpoint"):
        ref = getattr(settings.metrics, key)
        if ref is not None and ref not in names:
            problems.append(f"metrics.{key} = '{ref}' is not a [models] entry")
    from paritylab.metrics.registry import available_metrics  # lazy: the registry imports this module

    unknown = sorted(set(settings.metrics.enabled) - set(available_metrics()))
    if unknown:
        problems.append(
            f"metrics.enabled: unknown metric(s) {', '.join(unknown)}; "
            f"known: {', '.join(available_metrics())}"
        )
    return problems


def _candidate_refs(settings: Settings) -> list[str]:
    problems = []
    baseline = settings.parity.baseline
    if baseline is not None and baseline not in settings.candidates:
        problems.append(f"parity.baseline = '{baseline}' is not a [candidates] entry")
    for name, cand in settings.candidates.items():
        if cand.model not in settings.models:
            problems.append(f"candidates.{name}.model = '{cand.model}' is not a [models] entry")
        if cand.prompt not in settings.prompts:
            problems.append(f"candidates.{name}.prompt = '{cand.prompt}' is not a [prompts] entry")
    return problems


def expand_env(value: str, env: Mapping[str, str] | None = None) -> str:
    """Expand ${VAR} references; an unset variable is a ConfigError naming it."""
    env = os.environ if env is None else env

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ConfigError(f"'{value}' refers to ${{{name}}}, which is not set", hint=f"export {name}=...")
        return env[name]

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lookup, value)


def find_config_file(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    """--config, else PARITYLAB_CONFIG, else ./paritylab.toml if it exists."""
    if explicit is not None:
        candidate: Path | None = explicit
    elif env.get(f"{ENV_PREFIX}CONFIG"):
        candidate = Path(env[f"{ENV_PREFIX}CONFIG"])
    else:
        default = Path(DEFAULT_CONFIG_FILE)
        return default if default.exists() else None
    if candidate is not None and not candidate.exists():
        raise ConfigError(f"config file {candidate} does not exist", hint="check --config / PARITYLAB_CONFIG")
    return candidate


def load_settings(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    store: Path | None = None,
) -> Settings:
    """Read the config file (if any), apply PARITYLAB_* overrides and an explicit --store."""
    env = os.environ if env is None else env
    file = find_config_file(path, env)
    raw: dict[str, Any] = _read_toml(file) if file else {}
    source = str(file) if file else "<defaults>"
    origins = _apply_env_overrides(raw, env)
    if store is not None:
        raw["store"] = str(store)
    try:
        return Settings.model_validate({**raw, "source": source})
    except ValidationError as exc:
        raise _explain(exc, source, origins) from None


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}", hint="fix the syntax at that line") from None


def _apply_env_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Write PARITYLAB_* values into `raw`; return {dotted key: variable} so errors can name the variable."""
    origins: dict[str, str] = {}
    for var, value in sorted(env.items()):
        if not var.startswith(ENV_PREFIX) or var[len(ENV_PREFIX) :] in _NOT_FIELDS:
            continue
        parts = var[len(ENV_PREFIX) :].lower().split("__")
        node: dict[str, Any] = raw
        path: list[str] = []
        for depth, part in enumerate(parts):
            key = _match_key(node, part, path)
            if key is None:
                raise _bad_env_var(var, path)
            path.append(key)
            if depth == len(parts) - 1:
                node[key] = value
            elif not isinstance(node.setdefault(key, {}), dict):
                raise _bad_env_var(var, path, f"'{'.'.join(path)}' is a single value, not a table")
            else:
                node = node[key]
        origins[".".join(path)] = var
    return origins


_ENTRY_TABLES = {"models", "prompts", "candidates"}


def _match_key(node: dict[str, Any], part: str, path: list[str]) -> str | None:
    """Env names are upper-case with no dashes: match them back to the key as written in the file.
    Entries of [models], [prompts], [candidates] must exist in the file: a variable only overrides."""
    for key in node:
        if key.lower().replace("-", "_") == part:
            return key
    if not path:
        return part if part in Settings.model_fields and part != "source" else None
    if len(path) == 1 and path[0] in _ENTRY_TABLES:
        return None
    return part  # a field not set in the file: validation reports it if it is unknown


def _bad_env_var(var: str, path: list[str], why: str | None = None) -> ConfigError:
    where = ".".join(path) or "(top level)"
    if why is None:
        section = path[0] if path else ""
        why = (
            f"[{section}] in the config file has no such entry"
            if section in _ENTRY_TABLES
            else f"no config key matches it under {where}"
        )
    return ConfigError(
        f"environment variable {var} does not name a config key: {why}",
        hint="use PARITYLAB_<KEY>, nested with __, naming an existing entry, "
        "e.g. PARITYLAB_MODELS__SIM_GOOD__CONCURRENCY=32 for [models.sim-good]",
    )


def _explain(exc: ValidationError, source: str, origins: Mapping[str, str]) -> ConfigError:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        var = origins.get(where)
        origin = f" (set by {var})" if var else ""
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown key '{where}'{origin}{_suggest(err['loc'])}")
        else:
            lines.append(f"{where or '(top level)'}{origin}: {err['msg']}")
    return ConfigError(
        f"invalid config in {source}:\n  " + "\n  ".join(lines),
        hint=f"edit {source} (or the PARITYLAB_* variable) as described above",
    )


def _suggest(loc: tuple[int | str, ...]) -> str:
    known = {
        "Settings": set(Settings.model_fields),
        "models": set(ModelConfig.model_fields),
        "prompts": set(PromptConfig.model_fields),
        "candidates": set(CandidateConfig.model_fields),
        "params": set(GenerationParams.model_fields),
        "ingest": set(IngestConfig.model_fields),
        "cases": set(CasesConfig.model_fields),
        "report": set(ReportConfig.model_fields),
        "metrics": set(MetricsConfig.model_fields),
        "rubric": set(RubricConfig.model_fields),
        "policy": set(PolicyConfig.model_fields),
        "online": set(OnlineConfig.model_fields),
        "parity": set(ParityConfig.model_fields),
        "gate": set(MetricGate.model_fields),
    }
    # loc is (key,) at the top, (table, entry, key) inside an entry, (candidates, entry, params, key).
    if len(loc) == 4 and loc[2] == "params":
        section = "params"
    elif len(loc) == 2 and str(loc[0]) in known and loc[0] not in _ENTRY_TABLES:  # [ingest], [cases] ...
        section = str(loc[0])
    elif len(loc) == 3 and loc[0] == "metrics" and loc[1] in ("rubric", "policy"):
        section = str(loc[1])
    elif len(loc) == 4 and loc[:2] == ("parity", "metrics"):
        section = "gate"
    else:
        section = str(loc[0]) if len(loc) > 1 else "Settings"
    close = difflib.get_close_matches(str(loc[-1]), known.get(section, set()), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
