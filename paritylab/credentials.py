"""Keep credentials out of everything we persist or print."""

from __future__ import annotations

import os
import re

# Shapes of credentials that SDK error messages or echoed requests may contain.
_SECRET_PATTERNS = [
    re.compile(r"\b(sk|pk|rk)-(ant-)?[A-Za-z0-9_\-]{12,}"),
    # "Bearer <token>" as HTTP writes it; lower-case only when the token is long and has a digit,
    # because "the bearer document" is English, not a credential.
    re.compile(r"\bBearer\s+[A-Za-z0-9._\-~+/]{8,}=*|(?i:\bbearer\s+(?=\S*\d)[A-Za-z0-9._\-~+/]{16,}=*)"),
    re.compile(
        r"(?i)\b(api[_-]?key|x-api-key|authorization|access[_-]?token|token|secret|password|passwd)"
        r"([\"']?\s*[:=]\s*[\"']?)[^\s\"',}&]{6,}"
    ),
]


def known_secret_values(variables: list[str]) -> list[str]:
    """The values of the given environment variables that look long enough to be secrets."""
    return [v for name in variables if (v := os.environ.get(name)) and len(v) >= 6]


def scrub_secrets(text: str, known: list[str] | None = None) -> str:
    """Replace known key values and anything shaped like a credential with [REDACTED]."""
    for value in known or []:
        if len(value) >= 6:  # an empty or tiny "secret" would shred ordinary text
            text = text.replace(value, "[REDACTED]")
    text = _SECRET_PATTERNS[0].sub("[REDACTED]", text)
    text = _SECRET_PATTERNS[1].sub("Bearer [REDACTED]", text)
    return _SECRET_PATTERNS[2].sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", text)
