r"""PII redaction for production log text, applied before anything is stored.

Two paths give the same text and the same counts: `Redactor.redact` / `redact_many` (pure Python `re`)
and `Redactor.redact_table` (DuckDB's RE2 over a whole table). So every pattern is written in the subset
both engines read the same way: no lookaround or backreferences, no `$` (Python's matches before a final
newline, RE2's does not), explicit `[0-9]` classes, `\b` as the only assertion, and Python compiles with
re.ASCII so `\b`, `\d`, `\w` mean what they mean in RE2. Both engines pick the leftmost-first match.

Kinds run in this order, each over the output of the one before; no placeholder matches any kind:
  1. API_KEY  keys are long random runs holding digit groups and e-mail- or card-like pieces.
  2. EMAIL    before phones: a local part like `+4915112345678@...` must go whole, not lose its digits.
  3. IBAN     before cards: the BBAN of an IBAN is a long digit run that can pass Luhn by itself.
  4. CARD     before GOV_ID / IP / PHONE, so a card's digit groups are never half-eaten as a phone.
  5. GOV_ID   US SSN (valid areas only) and UK National Insurance numbers.
  6. IP       IPv4 with valid octets; IPv6 full, `::`-compressed and IPv4-mapped.
  7. PHONE    last of the built-ins: it is the loosest pattern.
  8. extra    the configured patterns, in the order given.
IBAN and CARD candidates are checksum-verified in Python (ISO 13616 mod 97, Luhn); in `redact_table` only
the rows holding a candidate travel to Python and back.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from paritylab.errors import ConfigError

if TYPE_CHECKING:
    import duckdb

    from paritylab.ingest.redact_table import TableRedaction


_KEY_CHARS = "[A-Za-z0-9_-]"
API_KEY = "|".join(
    [
        # Group 1 keeps the word "Bearer" and its spacing; every other branch leaves it empty.
        r"\b([Bb]earer[ \t]+)[A-Za-z0-9._~+/-]{16}[A-Za-z0-9._~+/-]*=*",
        # The digit requirement keeps prose like "sk-learn-compatible-estimators" out.
        rf"\bsk-[A-Za-z_-]{{0,40}}[0-9]{_KEY_CHARS}{{15}}{_KEY_CHARS}*",
        r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
        r"\bgh[pousr]_[A-Za-z0-9]{30}[A-Za-z0-9]*",
        r"\bgithub_pat_[A-Za-z0-9_]{20}[A-Za-z0-9_]*",
        rf"\beyJ{_KEY_CHARS}{{8}}{_KEY_CHARS}*\.{_KEY_CHARS}{{8}}{_KEY_CHARS}*\.{_KEY_CHARS}{{8}}{_KEY_CHARS}*",
    ]
)
# Bounded local part and labels: Python retries every start position, so unbounded runs would go quadratic.
EMAIL = r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b"
IBAN_CANDIDATE = r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"
# First digit 2-6 (all major networks) keeps 13-digit epoch-millisecond timestamps out. Grouped forms are
# the printed layouts (4-4-4-4[-3], 4-6-5, 4-6-4): each needs 13+ digits, so dates and order ids never
# become candidates that would have to travel to Python.
CARD_CANDIDATE = (
    r"\b[2-6][0-9]{12,18}\b"
    r"|\b[2-6][0-9]{3}[ -](?:[0-9]{4}[ -][0-9]{4}[ -][0-9]{1,4}(?:[ -][0-9]{1,3})?|[0-9]{6}[ -][0-9]{4,5})\b"
)
# Stepped over whole by the card scan: an IBAN with a typo must not yield a "card" from its BBAN, and the
# digits of "+4915112345678" are a phone number even when they happen to pass Luhn.
CARD_BLOCKER = rf"{IBAN_CANDIDATE}|\+[0-9]+"
_SSN = (
    r"\b(?:00[1-9]|0[1-9][0-9]|[1-57-8][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])"
    r"-(?:0[1-9]|[1-9][0-9])-(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})\b"
)


def _nino_prefix() -> str:
    """HMRC rules: no D F I Q U V first, no D F I O Q U V second, and never BG GB NK KN TN NT ZZ."""
    banned = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
    branches = []
    for first in "ABCEGHJKLMNOPRSTWXYZ":
        seconds = "".join(s for s in "ABCEGHJKLMNPRSTWXYZ" if first + s not in banned)
        branches.append(f"{first}[{seconds}]")
    return "(?:" + "|".join(branches) + ")"


GOV_ID = rf"{_SSN}|\b{_nino_prefix()} ?[0-9]{{2}} ?[0-9]{{2}} ?[0-9]{{2}} ?[A-D]\b"

_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H = "[0-9A-Fa-f]{1,4}"
IP = "|".join(
    [
        rf"\b{_IPV4}\b",
        rf"\b{_H}(?::{_H}){{7}}\b",
        rf"\b{_H}(?::{_H}){{0,6}}::{_H}(?::{_H}){{0,6}}\b",
        rf"\b{_H}(?::{_H}){{1,6}}::",
        # A leading `::` must not follow a word (`Vec::add` is code, not an address) nor a placeholder's
        # `]` (or a second pass would find new matches). RE2 has no lookbehind, so group 1 captures the
        # character before and the replacement puts it back.
        rf"(^|[^0-9A-Za-z_:\]])::(?:[fF]{{4}}:{_IPV4}|{_H}(?::{_H}){{0,6}})\b",
    ]
)
PHONE = "|".join(
    [
        r"\+[1-9][0-9]{0,2}(?:[ -]?\([0-9]{1,4}\)|[ -]?[0-9]{1,4})(?:[ -]?[0-9]{2,4}){2,4}\b",
        r"\([2-9][0-9]{2}\)[ .-]?[0-9]{3}[ .-][0-9]{4}\b",
        r"\b(?:1[ .-])?[2-9][0-9]{2}[.-][0-9]{3}[.-][0-9]{4}\b",
        # UK national layouts 3-4-4, 4-3-4, 5-6: fixed group sizes, so 4-4-4-4 card groups never fit.
        r"\b0[0-9]{2} [0-9]{4} [0-9]{4}\b",
        r"\b0[0-9]{3} [0-9]{3} [0-9]{4}\b",
        r"\b0[0-9]{4} [0-9]{6}\b",
        r"\b0[1-9][0-9]{1,3}[ /-][0-9]{5,8}\b",  # German area code + subscriber: 030 1234567
    ]
)

_KIND_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_ok(candidate: str) -> bool:
    digits = candidate.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


@dataclass(frozen=True)
class Stage:
    """One kind: a pattern replaced by a placeholder, or (with `valid`) a checksum-verified candidate."""

    kind: str
    pattern: str
    replacement: str  # RE2 rewrite syntax, which Python's re.sub also reads (`\1`, no other escapes)
    valid: Callable[[str], bool] | None = None
    # Text the checksum scan steps over whole (see CARD_BLOCKER).
    blocker: str | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = f"(?P<blocker>{self.blocker})|{self.pattern}" if self.blocker else self.pattern
        object.__setattr__(self, "regex", _compile(pattern))

    def apply(self, text: str) -> tuple[str, int]:
        if self.valid is None:
            return self.regex.subn(self.replacement, text)
        return self._apply_checked(text, self.valid)

    def _apply_checked(self, text: str, valid: Callable[[str], bool]) -> tuple[str, int]:
        """Replace the longest valid prefix of each candidate (ending where a group ends).

        A candidate can run on into neighbouring groups ("DE89... 0130 00 FROM", "2026 4111 1111 ...");
        when no prefix is valid the scan resumes one character later, so a real number that starts
        inside a longer candidate is still found.
        """
        out: list[str] = []
        pos = done = count = 0
        while (m := self.regex.search(text, pos)) is not None:
            if self.blocker and m.group("blocker") is not None:
                pos = m.end()
                continue
            end = longest_valid_prefix(m.group(), valid)
            if end is None:
                pos = m.start() + 1
                continue
            out += [text[done : m.start()], self.replacement]
            pos = done = m.start() + end
            count += 1
        out.append(text[done:])
        return "".join(out), count


@functools.lru_cache(maxsize=65_536)  # one number is often in several columns (prompt, messages, question)
def longest_valid_prefix(candidate: str, valid: Callable[[str], bool]) -> int | None:
    cuts = [i for i, ch in enumerate(candidate) if ch in " -"] + [len(candidate)]
    for cut in reversed(cuts):
        if valid(candidate[:cut]):
            return cut
    return None


BUILTIN_STAGES: tuple[Stage, ...] = (
    Stage("API_KEY", API_KEY, r"\1[API_KEY]"),
    Stage("EMAIL", EMAIL, "[EMAIL]"),
    Stage("IBAN", IBAN_CANDIDATE, "[IBAN]", valid=iban_ok),
    Stage("CARD", CARD_CANDIDATE, "[CARD]", valid=card_ok, blocker=CARD_BLOCKER),
    Stage("GOV_ID", GOV_ID, "[GOV_ID]"),
    Stage("IP", IP, r"\1[IP]"),
    Stage("PHONE", PHONE, "[PHONE]"),
)


_RE2_UNSUPPORTED = {
    "(?=": "a lookahead",
    "(?!": "a negative lookahead",
    "(?<=": "a lookbehind",
    "(?<!": "a negative lookbehind",
    "(?>": "an atomic group",
    "(?(": "a conditional group",
    "(?P=": "a named backreference",
    "(?#": "a comment group",
}
_INLINE_FLAGS = re.compile(r"\(\?([A-Za-z-]*)[:)]")


def _group_problem(pattern: str, i: int) -> str | None:
    for prefix, what in _RE2_UNSUPPORTED.items():
        if pattern.startswith(prefix, i):
            return what
    flags = _INLINE_FLAGS.match(pattern, i)
    if flags and set(flags.group(1)) - set("ims-"):
        return f"the inline flags '{flags.group(1)}' (RE2 and Python share only i, m, s)"
    return None


def _re2_problem(pattern: str) -> str | None:
    """The first construct that Python accepts but RE2 rejects or reads differently, if any."""
    i, in_class = 0, False
    while i < len(pattern):
        ch, nxt = pattern[i], pattern[i + 1 : i + 2]
        if ch == "\\":
            if nxt and nxt in "123456789Z" and not in_class:
                return f"'\\{nxt}' (backreferences and \\Z do not exist in RE2)"
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += 2 if nxt == "^" else 1
            i += 1 if pattern[i : i + 1] == "]" else 0  # a ']' first in a class is a literal
            continue
        elif ch == "$":
            return "'$' (Python's also matches before a final newline, RE2's does not; use \\b)"
        elif ch == "(" and (problem := _group_problem(pattern, i)):
            return problem
        elif ch in "*+?}" and nxt == "+":
            return "a possessive quantifier"
        i += 1
    return None


_PROBES = ("", "aZ 0_-.:@\n[]", "Bearer [API_KEY]")


def _extra_stage(kind: str, pattern: str, placeholders: list[str]) -> Stage:
    where = f"extra PII pattern {kind!r} ({pattern!r})"
    if not _KIND_NAME.fullmatch(kind):
        raise ConfigError(f"{where}: the kind must be an upper-case name", hint="rename it, e.g. ORDER_ID")
    problem = _re2_problem(pattern)
    try:
        regex = _compile(pattern)
    except re.error as exc:
        problem = f"it is not a valid regular expression ({exc})"
    if problem:
        raise ConfigError(
            f"{where} cannot be used: {problem}",
            hint="write it in the syntax RE2 and Python share (no lookaround, backreferences, `$`); "
            "the same pattern runs in DuckDB",
        )
    if any(m.start() == m.end() for probe in _PROBES for m in regex.finditer(probe)):
        raise ConfigError(f"{where} can match empty text", hint="make it match at least one character")
    if hit := next((p for p in placeholders if regex.search(p)), None):
        raise ConfigError(
            f"{where} matches the placeholder {hit}, so redacting redacted text would change it again",
            hint="make the pattern more specific (e.g. require a digit)",
        )
    return Stage(kind, pattern, f"[{kind}]")


# A later kind can free text that an earlier kind had to leave: an IPv6 address glued to an IBAN with a
# typo takes the IBAN's letters and leaves a bare digit run that passes Luhn. Passes repeat until the text
# is stable, so redacting redacted text changes nothing; the cap only bounds odd extra patterns.
MAX_PASSES = 4


@dataclass(frozen=True)
class Redactor:
    """Replaces PII with typed placeholders (`[EMAIL]`, `[CARD]`, ...) and counts them per kind.

    `extra` maps an upper-case kind to a regex (RE2-compatible: it also runs in DuckDB); matches become
    `[KIND]`, after all built-in kinds, in the order given.
    """

    extra: dict[str, str] = field(default_factory=dict)
    _stages: tuple[Stage, ...] = field(init=False, repr=False, compare=False)
    _any: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        placeholders = [f"[{s.kind}]" for s in BUILTIN_STAGES] + [f"[{k}]" for k in self.extra]
        extras = tuple(_extra_stage(k, p, placeholders) for k, p in self.extra.items())
        stages = BUILTIN_STAGES + extras
        object.__setattr__(self, "_stages", stages)
        object.__setattr__(self, "_any", _compile(union_pattern(stages)))

    def redact(self, text: str) -> tuple[str, Counter[str]]:
        """Redacted text and the number of replacements per kind."""
        counts: Counter[str] = Counter()
        for _ in range(MAX_PASSES):
            if self._any.search(text) is None:  # one scan settles most log lines
                break
            redacted = apply_all(self._stages, text, counts)
            if redacted == text:
                break
            text = redacted
        return text, counts

    def redact_many(self, texts: list[str | None]) -> tuple[list[str | None], Counter[str]]:
        """`redact` over a list; None stays None. Counts are summed."""
        total: Counter[str] = Counter()
        out: list[str | None] = []
        for text in texts:
            if text is None:
                out.append(None)
                continue
            redacted, counts = self.redact(text)
            out.append(redacted)
            if counts:
                total.update(counts)
        return out, total

    def redact_table(
        self, con: duckdb.DuckDBPyConnection, table: str, columns: list[str], *, parts: int | None = None
    ) -> Counter[str]:
        """Redact VARCHAR `columns` of a DuckDB table in place, with RE2 in bulk; same result as `redact`.

        Only rows that match some kind are copied to in-memory work tables and worked on there, `parts` of
        them side by side (see TableRedaction); the table itself is written once, at the end, and only
        where a value changed. NULLs stay NULL. Run it on data that has not been checkpointed to a
        database file yet: DuckDB does not zero the blocks an UPDATE frees, so text already written to a
        file stays readable in it.
        """
        from paritylab.ingest.redact_table import redact_table

        return redact_table(con, table, columns, self._stages, extras=self._extras, parts=parts)

    def begin_redact_table(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        columns: list[str],
        *,
        parts: int | None = None,
        group: str = "0",
    ) -> TableRedaction:
        """`redact_table` in steps (see TableRedaction): rows may be dropped before `finish()`; counts
        per `group` (a SQL expression over the table's columns) in `group_counts` after it."""
        from paritylab.ingest.redact_table import TableRedaction

        return TableRedaction(
            con, table, columns, self._stages, extras=self._extras, parts=parts, group=group
        )

    @property
    def _extras(self) -> tuple[Stage, ...]:
        """The configured patterns (they follow the built-in stages)."""
        return self._stages[len(BUILTIN_STAGES) :]


def union_pattern(stages: tuple[Stage, ...]) -> str:
    """Matches wherever any stage matches: text it misses is left unchanged by every stage."""
    return "|".join(f"(?:{s.pattern})" for s in stages)


def apply_all(stages: tuple[Stage, ...], text: str, counts: Counter[str]) -> str:
    """One pass: every stage once, in order, each over the output of the one before."""
    for stage in stages:
        text, n = stage.apply(text)
        if n:
            counts[stage.kind] += n
    return text
