"""Typed errors. Every error paritylab raises on purpose is a ParitylabError and says how to fix it."""

from __future__ import annotations

from typing import ClassVar


class ParitylabError(Exception):
    """Base class. `hint` tells the user what to do about it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  how to fix: {self.hint}" if self.hint else self.message


class ConfigError(ParitylabError):
    """paritylab.toml or a PARITYLAB_* variable is wrong."""


class MissingAPIKey(ConfigError):
    """A provider needs a key that the environment does not hold."""

    def __init__(self, variable: str, model_name: str) -> None:
        super().__init__(
            f"model '{model_name}' needs an API key but the environment variable {variable} is not set",
            hint=f"export {variable}=... (keys are read from the environment only, never from files), "
            f"or set api_key_env in [models.{model_name}] to the variable that holds it",
        )
        self.variable = variable


class StoreError(ParitylabError):
    """The DuckDB store cannot be opened or written."""


class StoreLocked(StoreError):
    """Another process holds the store's write lock."""


class ProviderError(ParitylabError):
    """A model call failed. `error_class` is what the ledger records; `retryable` drives the runner."""

    error_class: ClassVar[str] = "provider_error"
    retryable: ClassVar[bool] = False

    def __init__(
        self, message: str, *, status: int | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class RateLimited(ProviderError):
    error_class = "rate_limited"
    retryable = True


class ProviderTimeout(ProviderError):
    error_class = "timeout"
    retryable = True


class TransientProviderError(ProviderError):
    """5xx, overloaded, connection reset: worth another try."""

    error_class = "transient"
    retryable = True


class MalformedResponse(ProviderError):
    """The provider answered with something that is not a valid response (bad JSON, no choices)."""

    error_class = "malformed"
    retryable = True


class PermanentProviderError(ProviderError):
    """4xx that a retry cannot fix: bad request, unknown model, context overflow."""

    error_class = "permanent"


class AuthError(PermanentProviderError):
    error_class = "auth"


class IngestError(ParitylabError):
    """Log input that cannot be read at all (a single bad row is quarantined, not raised)."""


class DatasetError(ParitylabError):
    """An eval dataset or version is missing or inconsistent."""


class JudgeError(ParitylabError):
    """A judge could not produce a valid verdict."""


class ReviewImportError(DatasetError):
    """A filled-in review file cannot be imported; `problems` lists every reason (nothing was applied)."""

    def __init__(self, message: str, problems: list[str], hint: str | None = None) -> None:
        shown = "\n  ".join(problems[:30]) + (
            f"\n  ... and {len(problems) - 30} more" if len(problems) > 30 else ""
        )
        super().__init__(f"{message}:\n  {shown}", hint=hint)
        self.problems = problems


class ReportError(ParitylabError):
    """A report cannot be made: unknown run, nothing to report, unwritable folder."""
