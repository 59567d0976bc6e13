"""Tests for paritylab.config: loading, strictness, env overrides, references and candidate ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from paritylab.config import DEFAULT_STORE, Settings, expand_env, load_settings
from paritylab.errors import ConfigError

BASE_TOML = """\
store = "data/store.duckdb"
store_lock_timeout_s = 5

[models.sim-good]
provider = "sim"
model = "sim-good"
profile = "good"
concurrency = 4

[models.sim-weak]
provider = "sim"
model = "sim-weak"
profile = "weak"

[prompts.qa]
version = "1"
system = "Answer from the context only."
template = "<context>{context}</context><question>{question}</question>"

[candidates.baseline]
model = "sim-good"
prompt = "qa"

[candidates.baseline.params]
temperature = 0.0
max_tokens = 256
"""


def write(tmp_path: Path, text: str, name: str = "paritylab.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None, **kwargs: object) -> Settings:
    return load_settings(write(tmp_path, text), env={} if env is None else env, **kwargs)  # type: ignore[arg-type]


def config_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> tuple[str, Path]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={} if env is None else env)
    return str(info.value), path


# --- loading ---------------------------------------------------------------------------------------


def test_valid_file_loads_with_types_and_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_TOML)
    settings = load_settings(path, env={})

    assert isinstance(settings, Settings)
    assert settings.source == str(path)
    assert settings.store == Path("data/store.duckdb")
    assert settings.store_lock_timeout_s == 5.0
    assert set(settings.models) == {"sim-good", "sim-weak"}
    good = settings.models["sim-good"]
    assert (good.provider, good.model, good.profile, good.concurrency) == ("sim", "sim-good", "good", 4)
    assert settings.models["sim-weak"].concurrency == 8  # default
    assert settings.prompts["qa"].version == "1"
    cand = settings.candidates["baseline"]
    assert (cand.model, cand.prompt) == ("sim-good", "qa")
    assert cand.params.temperature == 0.0
    assert cand.params.max_tokens == 256


def test_no_file_anywhere_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./paritylab.toml here
    settings = load_settings(env={})
    assert settings.source == "<defaults>"
    assert settings.store == DEFAULT_STORE
    assert settings.models == {}


def test_parity_config_env_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_TOML, name="other.toml")
    settings = load_settings(env={"PARITYLAB_CONFIG": str(path)})
    assert settings.source == str(path)
    assert "sim-good" in settings.models


def test_missing_explicit_file_is_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="does not exist") as info:
        load_settings(missing, env={})
    assert str(missing) in str(info.value)


def test_invalid_toml_is_config_error_naming_file(tmp_path: Path) -> None:
    message, path = config_error(tmp_path, 'store = "unterminated\n[models.x\n')
    assert "not valid TOML" in message
    assert str(path) in message


# --- unknown keys ----------------------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    message, path = config_error(tmp_path, "stor = 'x.duckdb'\n" + BASE_TOML)
    assert "unknown key 'stor'" in message
    assert "did you mean 'store'" in message
    assert str(path) in message


def test_unknown_model_key_suggests_near_miss(tmp_path: Path) -> None:
    text = BASE_TOML.replace("concurrency = 4", "concurency = 4")
    message, path = config_error(tmp_path, text)
    assert "models.sim-good.concurency" in message
    assert "did you mean 'concurrency'" in message
    assert str(path) in message


def test_unknown_params_key_suggests_near_miss(tmp_path: Path) -> None:
    text = BASE_TOML.replace("temperature = 0.0", "temprature = 0.0")
    message, path = config_error(tmp_path, text)
    assert "candidates.baseline.params.temprature" in message
    assert "did you mean 'temperature'" in message
    assert str(path) in message


def test_unknown_key_without_close_match_has_no_suggestion(tmp_path: Path) -> None:
    text = BASE_TOML.replace("concurrency = 4", "zzzqqq = 4")
    message, _ = config_error(tmp_path, text)
    assert "models.sim-good.zzzqqq" in message
    assert "did you mean" not in message


@pytest.mark.parametrize("key", ["api_key", "key", "token"])
def test_api_key_in_file_is_rejected(tmp_path: Path, key: str) -> None:
    text = BASE_TOML.replace('profile = "good"', f'profile = "good"\n{key} = "sk-secretsecretsecret"')
    message, path = config_error(tmp_path, text)
    assert "environment variable" in message
    assert "api_key_env" in message
    assert "models.sim-good" in message
    assert str(path) in message


def test_api_key_env_is_allowed(tmp_path: Path) -> None:
    text = BASE_TOML.replace('profile = "good"', 'profile = "good"\napi_key_env = "MY_KEY"')
    settings = load(tmp_path, text)
    assert settings.models["sim-good"].key_variable() == "MY_KEY"
    assert settings.models["sim-weak"].key_variable() is None  # sim needs no key


def test_out_of_range_value_names_dotted_key(tmp_path: Path) -> None:
    message, path = config_error(tmp_path, BASE_TOML.replace("concurrency = 4", "concurrency = 0"))
    assert "models.sim-good.concurrency" in message
    assert str(path) in message


# --- environment overrides -------------------------------------------------------------------------


def test_env_overrides_store_and_nested_dashed_model(tmp_path: Path) -> None:
    env = {
        "PARITYLAB_STORE": str(tmp_path / "env.duckdb"),
        "PARITYLAB_MODELS__SIM_GOOD__CONCURRENCY": "16",
        "PARITYLAB_STORE_LOCK_TIMEOUT_S": "0.25",
        "UNRELATED": "ignored",
    }
    settings = load(tmp_path, BASE_TOML, env=env)
    assert settings.store == tmp_path / "env.duckdb"
    assert settings.models["sim-good"].concurrency == 16
    assert settings.store_lock_timeout_s == 0.25
    # the override edits the existing entry; it does not create a "sim_good" twin
    assert set(settings.models) == {"sim-good", "sim-weak"}
    assert settings.models["sim-weak"].concurrency == 8


def test_env_override_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={"PARITYLAB_STORE": "elsewhere.duckdb"})
    assert settings.store == Path("elsewhere.duckdb")
    assert settings.source == "<defaults>"


def test_store_argument_beats_env(tmp_path: Path) -> None:
    settings = load(tmp_path, BASE_TOML, env={"PARITYLAB_STORE": "env.duckdb"}, store=Path("cli.duckdb"))
    assert settings.store == Path("cli.duckdb")


def test_env_var_naming_nothing_is_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_TOML)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={"PARITYLAB_NOPE": "1"})
    assert "PARITYLAB_NOPE" in str(info.value)


def test_env_var_with_near_miss_nested_key_is_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_TOML)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={"PARITYLAB_MODELS__SIM_GOOD__CONCURENCY": "3"})
    assert "models.sim-good.concurency" in str(info.value)
    assert "did you mean 'concurrency'" in str(info.value)


def test_env_bad_value_is_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_TOML)
    with pytest.raises(ConfigError, match="store_lock_timeout_s"):
        load_settings(path, env={"PARITYLAB_STORE_LOCK_TIMEOUT_S": "soon"})


def test_parity_config_is_not_treated_as_field(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_TOML)
    settings = load_settings(path, env={"PARITYLAB_CONFIG": str(tmp_path / "ignored-because-explicit")})
    assert settings.source == str(path)


def test_env_var_nested_below_scalar_is_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_TOML)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={"PARITYLAB_STORE__X": "1"})
    assert "PARITYLAB_STORE__X" in str(info.value)


def test_env_var_naming_unknown_model_names_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_TOML)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={"PARITYLAB_MODELS__NOPE__CONCURRENCY": "3"})
    assert "PARITYLAB_MODELS__NOPE__CONCURRENCY" in str(info.value)


# --- references ------------------------------------------------------------------------------------


def test_candidate_with_unknown_model(tmp_path: Path) -> None:
    text = BASE_TOML.replace('model = "sim-good"\nprompt = "qa"', 'model = "gpt-9"\nprompt = "qa"')
    message, path = config_error(tmp_path, text)
    assert "candidates.baseline.model = 'gpt-9'" in message
    assert str(path) in message


def test_candidate_with_unknown_prompt(tmp_path: Path) -> None:
    message, _ = config_error(tmp_path, BASE_TOML.replace('prompt = "qa"', 'prompt = "qa-v2"'))
    assert "candidates.baseline.prompt = 'qa-v2'" in message


def test_fallback_to_unknown_model(tmp_path: Path) -> None:
    text = BASE_TOML.replace('profile = "good"', 'profile = "good"\nfallback = "sim-missing"')
    message, _ = config_error(tmp_path, text)
    assert "models.sim-good.fallback = 'sim-missing'" in message


def test_fallback_to_itself_is_rejected(tmp_path: Path) -> None:
    text = BASE_TOML.replace('profile = "good"', 'profile = "good"\nfallback = "sim-good"')
    message, _ = config_error(tmp_path, text)
    assert "models.sim-good.fallback" in message


def test_fallback_to_other_model_is_accepted(tmp_path: Path) -> None:
    text = BASE_TOML.replace('profile = "good"', 'profile = "good"\nfallback = "sim-weak"')
    assert load(tmp_path, text).models["sim-good"].fallback == "sim-weak"


def test_unknown_judge_and_compatible_without_url(tmp_path: Path) -> None:
    message, _ = config_error(tmp_path, 'judge = "nobody"\n' + BASE_TOML)
    assert "judge = 'nobody'" in message
    extra = '\n[models.local]\nprovider = "openai_compatible"\nmodel = "llama"\n'
    message, _ = config_error(tmp_path, BASE_TOML + extra)
    assert "models.local" in message
    assert "base_url" in message


# --- candidate_id ----------------------------------------------------------------------------------


def cid(tmp_path: Path, text: str, name: str = "baseline") -> str:
    return load(tmp_path, text).candidate_id(name)


def test_candidate_id_is_stable(tmp_path: Path) -> None:
    first = cid(tmp_path, BASE_TOML)
    assert first == cid(tmp_path, BASE_TOML)
    assert len(first) == 12
    int(first, 16)  # hex
    # things that do not change behaviour do not change the id
    unrelated = BASE_TOML.replace("concurrency = 4", "concurrency = 32").replace(
        'store = "data/store.duckdb"', 'store = "elsewhere.duckdb"'
    )
    assert cid(tmp_path, unrelated) == first
    # the candidate's own name is not part of its identity
    renamed = BASE_TOML.replace("candidates.baseline", "candidates.renamed")
    assert cid(tmp_path, renamed, "renamed") == first


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('template = "<context>{context}</context>', 'template = "Context: <context>{context}</context>'),
        ('version = "1"', 'version = "2"'),
        ('system = "Answer from the context only."', 'system = "Be brief."'),
        ("temperature = 0.0", "temperature = 0.7"),
        ("max_tokens = 256", "max_tokens = 257"),
        ('model = "sim-good"\nprompt = "qa"', 'model = "sim-weak"\nprompt = "qa"'),
        ('model = "sim-good"\nprofile = "good"', 'model = "sim-good-2"\nprofile = "good"'),
        ('profile = "good"', 'profile = "equivalent"'),
    ],
    ids=[
        "template",
        "version",
        "system",
        "temperature",
        "max_tokens",
        "candidate-model",
        "model-id",
        "profile",
    ],
)
def test_candidate_id_changes_with_behaviour(tmp_path: Path, old: str, new: str) -> None:
    assert old in BASE_TOML
    changed = BASE_TOML.replace(old, new)
    assert cid(tmp_path, changed) != cid(tmp_path, BASE_TOML)


def test_candidate_id_via_env_override(tmp_path: Path) -> None:
    settings = load(tmp_path, BASE_TOML, env={"PARITYLAB_CANDIDATES__BASELINE__PARAMS__TEMPERATURE": "0.5"})
    assert settings.candidates["baseline"].params.temperature == 0.5
    assert settings.candidate_id("baseline") != cid(tmp_path, BASE_TOML)


# --- expand_env ------------------------------------------------------------------------------------


def test_expand_env_expands_variables() -> None:
    env = {"HOST": "localhost", "PORT": "8080"}
    assert expand_env("http://${HOST}:${PORT}/v1", env) == "http://localhost:8080/v1"
    assert expand_env("no variables here", {}) == "no variables here"
    assert expand_env("$HOST stays", env) == "$HOST stays"  # only the ${VAR} form


def test_expand_env_unset_variable_is_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        expand_env("http://${SIM_HOST}:9000", {"OTHER": "x"})
    assert "SIM_HOST" in str(info.value)
    assert "export SIM_HOST" in str(info.value)


def test_expand_env_empty_value_is_allowed() -> None:
    assert expand_env("a${EMPTY}b", {"EMPTY": ""}) == "ab"
