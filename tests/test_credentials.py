"""Tests for paritylab.credentials: nothing shaped like a key survives scrub_secrets."""

from __future__ import annotations

import pytest

from paritylab.credentials import known_secret_values, scrub_secrets

OPENAI_KEY = "sk-proj-AbCdEf0123456789GhIjKl"
ANTHROPIC_KEY = "sk-ant-api03-ZyXwVu9876543210_TsRq-PoNm"


def test_known_values_are_removed() -> None:
    secret = "hunter2-but-longer"
    text = f"connecting with {secret} to host; retry with {secret}"
    out = scrub_secrets(text, known=[secret])
    assert secret not in out
    assert out == "connecting with [REDACTED] to host; retry with [REDACTED]"


def test_known_value_without_a_credential_shape() -> None:
    secret = "plainlowercaseword"
    assert scrub_secrets(f"value={secret}.", known=[secret]) == "value=[REDACTED]."
    assert scrub_secrets(f"value={secret}.") == f"value={secret}."  # not shaped like a key


@pytest.mark.parametrize(
    "key", [OPENAI_KEY, ANTHROPIC_KEY, "sk-abcdefghijklmnop", "rk-live_0123456789abcdef"]
)
def test_key_shapes_are_removed(key: str) -> None:
    out = scrub_secrets(f"Incorrect API key provided: {key}. You can find your key at the dashboard.")
    assert key not in out
    assert key[6:] not in out  # no tail of the key left behind either
    assert "[REDACTED]" in out
    assert out.startswith("Incorrect API key provided: ")
    assert out.endswith(". You can find your key at the dashboard.")


def test_bearer_token_is_removed() -> None:
    out = scrub_secrets("request failed: Authorization header was Bearer xyzABC123.456-789~tok== (401)")
    assert "xyzABC123" not in out
    assert "Bearer [REDACTED]" in out
    assert out.endswith("(401)")


def test_lower_case_bearer_is_removed() -> None:
    out = scrub_secrets("bearer abcdefgh12345678")
    assert "abcdefgh12345678" not in out
    assert "[REDACTED]" in out


@pytest.mark.parametrize(
    ("text", "secret", "expected"),
    [
        ("url?api_key=Zq8rT5vW1x more", "Zq8rT5vW1x", "url?api_key=[REDACTED] more"),
        ("API-KEY: Zq8rT5vW1xY2", "Zq8rT5vW1xY2", "API-KEY: [REDACTED]"),
        (
            '{"x-api-key": "Zq8rT5vW1xY2", "model": "m"}',
            "Zq8rT5vW1xY2",
            '{"x-api-key": "[REDACTED]", "model": "m"}',
        ),
        ("{'apikey': 'Zq8rT5vW1xY2'}", "Zq8rT5vW1xY2", "{'apikey': '[REDACTED]'}"),
        ("authorization=Zq8rT5vW1xY2 next", "Zq8rT5vW1xY2", "authorization=[REDACTED] next"),
    ],
)
def test_key_value_pairs_are_removed(text: str, secret: str, expected: str) -> None:
    out = scrub_secrets(text)
    assert secret not in out
    assert out == expected


def test_authorization_header_with_bearer_keeps_nothing_secret() -> None:
    out = scrub_secrets("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig")
    assert "eyJhbGci" not in out
    assert "payload" not in out
    assert out.startswith("Authorization: ")


def test_several_secrets_in_one_text() -> None:
    text = f'key {OPENAI_KEY} and {ANTHROPIC_KEY}; "x-api-key": "abcdef123456"; Bearer tokentokentoken'
    out = scrub_secrets(text)
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, "abcdef123456", "tokentokentoken"):
        assert secret not in out
    assert out.count("[REDACTED]") == 4


@pytest.mark.parametrize(
    "text",
    [
        "The refund policy allows returns within 30 days.",
        "Ask the desk about skiing, risk-taking and task-management tools.",
        "sk-short is too short to be a key",
        "The api key is invalid; check your settings.",
        "Use the bearer of the note.",
        'JSON: {"model": "gpt-4o-mini", "max_tokens": 512, "temperature": 0.2}',
        "",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert scrub_secrets(text) == text
    assert scrub_secrets(text, known=[]) == text


def test_known_secret_values_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PL_TEST_LONG_KEY", "abcdef123456")
    monkeypatch.setenv("PL_TEST_SHORT_KEY", "abc")
    monkeypatch.delenv("PL_TEST_UNSET_KEY", raising=False)
    names = ["PL_TEST_LONG_KEY", "PL_TEST_SHORT_KEY", "PL_TEST_UNSET_KEY"]
    assert known_secret_values(names) == ["abcdef123456"]
    assert scrub_secrets("x abcdef123456 y", known=known_secret_values(names)) == "x [REDACTED] y"
