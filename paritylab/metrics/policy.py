"""Policy checks without an LLM. Each is a pass/fail score (1.0 = the answer passes: higher is better,
like every metric) with a label that says what was found."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from paritylab.config import PolicyConfig, Settings
from paritylab.errors import ConfigError
from paritylab.metrics.base import EvalItem, MetricContext, Score

Check = Callable[[str], tuple[bool, str, str]]  # answer -> (passed, label, rationale)


@dataclass(frozen=True)
class PolicyMetric:
    name: str
    check: Check

    @property
    def needs(self) -> frozenset[str]:
        return frozenset()

    async def score(self, items: Sequence[EvalItem], ctx: MetricContext) -> list[Score]:
        out = []
        for item in items:
            passed, label, why = self.check(item.output)
            out.append(Score(self.name, 1.0 if passed else 0.0, label=label, rationale=why))
        return out


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.I | re.S)
    except re.error as exc:
        raise ConfigError(f"{where}: invalid regex {pattern!r}: {exc}", hint="fix the pattern") from None


def pii_check(settings: Settings) -> Check:
    from paritylab.ingest.redact import Redactor

    redactor = Redactor(extra=dict(settings.ingest.redact_extra))

    def check(answer: str) -> tuple[bool, str, str]:
        _, counts = redactor.redact(answer)
        if not counts:
            return True, "clean", "no PII found in the answer"
        kinds = ",".join(sorted(counts))
        return False, f"leaked:{kinds}", f"the answer contains PII: {dict(sorted(counts.items()))}"

    return check


def refusal_check(policy: PolicyConfig) -> Check:
    patterns = [_compile(p, "metrics.policy.refusal_patterns") for p in policy.refusal_patterns]

    def check(answer: str) -> tuple[bool, str, str]:
        for pattern in patterns:
            if m := pattern.search(answer):
                return False, "refused", f"refusal phrase: {m.group(0)[:80]!r}"
        return True, "answered", "no refusal phrase"

    return check


@dataclass(frozen=True)
class JsonCheck:
    schema: dict[str, object] | None

    @cached_property
    def validator(self) -> object:
        import jsonschema

        if self.schema is None:
            return None
        try:
            cls = jsonschema.validators.validator_for(self.schema)
            cls.check_schema(self.schema)
        except jsonschema.SchemaError as exc:
            raise ConfigError(
                f"metrics.policy.json_schema is not a valid JSON schema: {exc.message}"
            ) from None
        return cls(self.schema)

    def __call__(self, answer: str) -> tuple[bool, str, str]:
        try:
            value = json.loads(answer)
        except json.JSONDecodeError as exc:
            return False, "invalid_json", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        if self.validator is None:
            return True, "valid", "parses as JSON"
        errors = sorted(self.validator.iter_errors(value), key=lambda e: list(e.path))  # type: ignore[attr-defined]
        if errors:
            where = "/".join(map(str, errors[0].path)) or "(root)"
            return (
                False,
                "schema_violation",
                f"{len(errors)} schema error(s); first at {where}: {errors[0].message}",
            )
        return True, "valid", "valid against the configured schema"


def format_check(policy: PolicyConfig) -> Check:
    must = _compile(policy.must_match, "metrics.policy.must_match") if policy.must_match else None
    must_not = (
        _compile(policy.must_not_match, "metrics.policy.must_not_match") if policy.must_not_match else None
    )

    def check(answer: str) -> tuple[bool, str, str]:
        n = len(answer.strip())
        if n < policy.min_chars:
            return False, "too_short", f"{n} characters, fewer than {policy.min_chars}"
        if policy.max_chars is not None and n > policy.max_chars:
            return False, "too_long", f"{n} characters, more than {policy.max_chars}"
        if must and not must.search(answer):
            return False, "missing_pattern", f"does not match {policy.must_match!r}"
        if must_not and (m := must_not.search(answer)):
            return False, "forbidden_pattern", f"contains {m.group(0)[:80]!r}"
        return True, "ok", f"{n} characters, format rules met"

    return check


def build_policy(name: str, settings: Settings) -> PolicyMetric:
    policy = settings.metrics.policy
    checks: dict[str, Callable[[], Check]] = {
        "no_pii_leak": lambda: pii_check(settings),
        "no_refusal": lambda: refusal_check(policy),
        "json_valid": lambda: JsonCheck(policy.json_schema),
        "format_ok": lambda: format_check(policy),
    }
    return PolicyMetric(name, checks[name]())
