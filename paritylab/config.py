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

from pydantic import Field, ValidationError, model_validator

from paritylab.config_sections import (
    CASES_REFUSAL_PATTERNS,
    DEFAULT_CRITERIA,
    POLICY_REFUSAL_PATTERNS,
    CasesConfig,
    EmbeddingsBackend,
    IngestConfig,
    MetricGate,
    MetricsConfig,
    OnlineConfig,
    ParityConfig,
    PolicyConfig,
    ReportConfig,
    RubricConfig,
    Strict,
)
from paritylab.errors import ConfigError
from paritylab.hashing import content_hash

__all__ = [  # the sections are re-exported: one place to import config from
    "CASES_REFUSAL_PATTERNS",
    "DEFAULT_CRITERIA",
    "DEFAULT_STORE",
    "POLICY_REFUSAL_PATTERNS",
    "CandidateConfig",
    "CasesConfig",
    "EmbeddingsBackend",
    "GenerationParams",
    "IngestConfig",
    "MetricGate",
    "MetricsConfig",
    "ModelConfig",
    "OnlineConfig",
    "ParityConfig",
    "PolicyConfig",
    "PromptConfig",
    "ReportConfig",
    "RubricConfig",
    "Settings",
    "Strict",
    "expand_env",
    "find_config_file",
    "load_settings",
]
DEFAULT_CONFIG_FILE = "paritylab.toml"
DEFAULT_STORE = Path(".paritylab/paritylab.duckdb")
ENV_PREFIX = "PARITYLAB_"
_NOT_FIELDS = {"CONFIG", "HOME"}  # the config file itself; the checkout prefect.yaml runs flows in
ProviderKind = Literal["openai", "anthropic", "openai_compatible", "sim"]
DEFAULT_KEY_ENV: dict[str, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


class ModelConfig(Strict):
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


class GenerationParams(Strict):
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int = Field(512, ge=1)
    top_p: float | None = Field(None, gt=0, le=1)
    seed: int | None = None
    stop: tuple[str, ...] | None = None


class PromptConfig(Strict):
    """A versioned prompt template. {question} and {context} are filled per case."""

    version: str
    system: str = ""
    template: str


class CandidateConfig(Strict):
    """The whole behaviour-changing configuration of one answerer: model + prompt + params."""

    model: str
    prompt: str
    params: GenerationParams = Field(default_factory=lambda: GenerationParams.model_validate({}))


class Settings(Strict):
    store: Path = DEFAULT_STORE
    store_lock_timeout_s: float = Field(30.0, ge=0)
    judge: str | None = None
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    prompts: dict[str, PromptConfig] = Field(default_factory=dict)
    candidates: dict[str, CandidateConfig] = Field(default_factory=dict)
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
