"""Build a Provider from a [models] entry: resolve the key from the environment, expand base_url."""

from __future__ import annotations

from paritylab.config import ModelConfig, expand_env
from paritylab.errors import MissingAPIKey
from paritylab.providers.base import Provider

# Local OpenAI-compatible servers (vLLM, Ollama, llama.cpp) usually accept any key.
NO_KEY_NEEDED = "not-needed"


def resolve_api_key(name: str, cfg: ModelConfig, env: dict[str, str]) -> str | None:
    """The key for model `name`, or None for sim. Raises MissingAPIKey naming the variable."""
    if cfg.provider == "sim":
        return None
    variable = cfg.key_variable()
    if variable is None:
        return NO_KEY_NEEDED  # openai_compatible without api_key_env
    value = env.get(variable)
    if not value:
        raise MissingAPIKey(variable, name)
    return value


def build_provider(name: str, cfg: ModelConfig, env: dict[str, str]) -> Provider:
    key = resolve_api_key(name, cfg, env)
    base_url = expand_env(cfg.base_url, env) if cfg.base_url else None
    if cfg.provider == "sim":
        from paritylab.providers.sim_adapter import SimProvider
        from paritylab.sim.profiles import get_profile

        return SimProvider(get_profile(cfg.profile), wait_scale=cfg.sim_wait_scale)
    assert key is not None
    if cfg.provider == "anthropic":
        from paritylab.providers.anthropic_adapter import AnthropicProvider

        return AnthropicProvider(key, base_url, cfg.timeout_s, cfg.concurrency)
    from paritylab.providers.openai_adapter import OpenAICompatibleProvider, OpenAIProvider

    cls = OpenAIProvider if cfg.provider == "openai" else OpenAICompatibleProvider
    return cls(key, base_url, cfg.timeout_s, cfg.concurrency)
