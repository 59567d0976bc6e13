"""Map exceptions from the official SDKs (openai, anthropic: same Stainless shape) to our error classes."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from paritylab.credentials import scrub_secrets
from paritylab.errors import (
    AuthError,
    MalformedResponse,
    PermanentProviderError,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    TransientProviderError,
)

_TRANSIENT_STATUS = {408, 409, 425, 500, 502, 503, 504, 520, 522, 524, 529}


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from retry-after-ms or retry-after (seconds; HTTP dates are ignored)."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw) / scale)
        except ValueError:
            continue
    return None


def classify_sdk_error(exc: BaseException, sdk: ModuleType, secrets: list[str]) -> ProviderError:
    """Translate one SDK exception; the message is scrubbed of credentials before it goes anywhere."""
    message = scrub_secrets(f"{type(exc).__name__}: {exc}", secrets)[:2000]
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderTimeout(message)
    if isinstance(exc, sdk.APIConnectionError):
        return TransientProviderError(message)
    if isinstance(exc, sdk.APIResponseValidationError | json.JSONDecodeError):
        return MalformedResponse(message, status=getattr(exc, "status_code", None))
    if isinstance(exc, sdk.APIStatusError):
        return _from_status(exc, message)
    return PermanentProviderError(f"unclassified SDK error: {message}")


def _from_status(exc: Any, message: str) -> ProviderError:
    status = int(exc.status_code)
    retry_after = retry_after_seconds(getattr(exc.response, "headers", None))
    if status == 429 and "SpendLimit" not in type(exc).__name__:
        return RateLimited(message, status=status, retry_after_s=retry_after)
    if status in _TRANSIENT_STATUS or status >= 500:
        return TransientProviderError(message, status=status, retry_after_s=retry_after)
    if status in (401, 403):
        return AuthError(message, status=status)
    return PermanentProviderError(message, status=status)
