"""PII redaction: planted secrets go, near-misses stay, and the Python and DuckDB paths agree exactly."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from paritylab.errors import ConfigError, IngestError
from paritylab.ingest.redact import Redactor, card_ok, iban_ok

PLANTED: dict[str, list[str]] = {
    "EMAIL": [
        "john.doe@example.com",
        "jane+billing@mail.example.co.uk",
        "a.b-c_d@sub.domain.io",
        "USER99@EXAMPLE.ORG",
        "x@y.de",
    ],
    "PHONE": [
        "(555) 123-4567",
        "555-123-4567",
        "+44 20 7946 0958",
        "+49 30 1234567",
        "+1 (415) 555-0132",
        "+33 1 23 45 67 89",
        "1-800-555-0199",
        "020 7946 0958",
        "555.123.4567",
        "+4915112345678",  # its last 13 digits pass Luhn: must still be a phone, not a card
        "07700 900123",
    ],
    "CARD": [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5500000000000004",
        "378282246310005",
        "3782 822463 10005",
        "6011 1111 1111 1117",
        "5555555555554444",
        "30569309025904",
        "3056 930902 5904",
    ],
    "IBAN": [
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91ABNA0417164300",
        "BE71 0961 2345 6769",
        "CH93 0076 2011 6238 5295 7",
        "NO93 8601 1117 947",
    ],
    "GOV_ID": ["123-45-6789", "078-05-1120", "219-09-9999", "AB123456C", "JG 10 37 59 A", "ZX123456D"],
    "API_KEY": [
        "sk-proj-Q2x9LmP4vT7rW1zY8kN3bH6cJ0dF5gA_xT2-Lp9",
        "sk-ant-api03-Xy7_Qm2LpZ9vN4kR8tW1bC6dH3jF0gA5sE-2uV9qTmA",
        "sk-9aB3cD5eF7gH9iJ1kL3mN5oP7qR9sT1uV3wX5yZ7aB9cD1e",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_0123456789abcdefghijABCDEFGHIJ012345",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ],
    "IP": [
        "192.168.1.10",
        "10.0.0.1",
        "255.255.255.255",
        "2001:db8::1",
        "::1",
        "fe80::1ff:fe23:4567:890a",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "::ffff:192.0.2.1",
    ],
}
PLANTED_CASES = [(kind, value) for kind, values in PLANTED.items() for value in values]

NEAR_MISSES = [
    # Luhn-failing card-shaped numbers, IBANs with a wrong check digit
    "4111 1111 1111 1112",
    "4111-1111-1111-1112",
    "4111111111111112",
    "5500 0000 0000 0005",
    "DE89 3704 0044 0532 0130 01",
    "GB83WEST12345698765432",
    # versions, dates, times, ids, prices, plain numbers
    "3.11.7",
    "v2.4.1",
    "1.0.0-rc.1",
    "build 20261123.4",
    "2026-11-23",
    "23.11.2026",
    "11/23/2026",
    "2026-11-23T10:30:00Z",
    "10:30",
    "10:30:45",
    "123456",
    "ORD-123456",
    "order #98765432",
    "ticket 2026-0042",
    "$1,299.99",
    "€49.00",
    "1299.00 USD",
    "+1299.00",
    "1,234,567",
    "4294967296",
    "1732312345678",  # epoch milliseconds pass Luhn one time in ten
    "ISBN 978-3-16-148410-0",
    "uuid 550e8400-e29b-41d4-a716-446655440000",
    "MAC 00:1A:2B:3C:4D:5E",
    # invalid government ids and addresses
    "000-12-3456",
    "123-00-4567",
    "123-45-0000",
    "666-12-3456",
    "912-34-5678",
    "GB123456A",
    "QQ123456C",
    "256.1.1.1",
    "999.999.999.999",
    # ordinary words and code
    "Bearer tokens must be rotated",
    "the task-runner",
    "sk-learn-compatible-estimators",
    "Vec::add and std::cout",
    "call me maybe",
    "HTTP 404 on port 8080",
]


def expected_placeholder(kind: str, value: str) -> str:
    return "Bearer [API_KEY]" if value.lower().startswith("bearer ") else f"[{kind}]"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.mark.parametrize(("kind", "value"), PLANTED_CASES, ids=[f"{k}:{v[:24]}" for k, v in PLANTED_CASES])
def test_planted_value_is_replaced_by_its_placeholder(redactor: Redactor, kind: str, value: str) -> None:
    redacted, counts = redactor.redact(f"Please reach me at {value}, thanks.")
    assert redacted == f"Please reach me at {expected_placeholder(kind, value)}, thanks."
    assert counts == Counter({kind: 1})


def test_every_kind_has_at_least_five_planted_examples() -> None:
    assert {k for k, v in PLANTED.items() if len(v) >= 5} == {
        "EMAIL", "PHONE", "CARD", "IBAN", "GOV_ID", "API_KEY", "IP",
    }  # fmt: skip


def test_all_planted_values_in_one_text_are_counted_per_kind(redactor: Redactor) -> None:
    text = "\n".join(f"{i}: value {v} end" for i, (_, v) in enumerate(PLANTED_CASES))
    redacted, counts = redactor.redact(text)
    assert counts == Counter({kind: len(values) for kind, values in PLANTED.items()})
    for _, value in PLANTED_CASES:
        assert value not in redacted


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abcdef0123456789abcdef.xyz",
        "bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "Bearer\tQ2x9LmP4vT7rW1zY8kN3b==",
    ],
)
def test_bearer_keeps_the_word_and_hides_the_token(redactor: Redactor, header: str) -> None:
    redacted, counts = redactor.redact(f"Authorization: {header}\n")
    word, sep = header[:6], header[6]
    assert redacted == f"Authorization: {word}{sep}[API_KEY]\n"
    assert counts == Counter({"API_KEY": 1})


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_miss_is_left_alone(redactor: Redactor, text: str) -> None:
    sentence = f"Note: {text} (as discussed)."
    assert redactor.redact(sentence) == (sentence, Counter())


def test_checksums_decide_cards_and_ibans() -> None:
    assert card_ok("4111 1111 1111 1111") and not card_ok("4111 1111 1111 1112")
    assert not card_ok("4111 1111 1111")  # Luhn-valid but only 12 digits
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB83 WEST 1234 5698 7654 32")


def test_several_kinds_in_one_text(redactor: Redactor) -> None:
    text = (
        "User jane.roe@example.org (+44 20 7946 0958) paid with 4111-1111-1111-1111 from IBAN "
        "DE89 3704 0044 0532 0130 00; SSN 078-05-1120, from 10.1.2.3 using key AKIAIOSFODNN7EXAMPLE. "
        "Order ORD-123456 on 2026-11-23 at 10:30, total $1,299.99, client v3.11.7."
    )
    redacted, counts = redactor.redact(text)
    assert redacted == (
        "User [EMAIL] ([PHONE]) paid with [CARD] from IBAN "
        "[IBAN]; SSN [GOV_ID], from [IP] using key [API_KEY]. "
        "Order ORD-123456 on 2026-11-23 at 10:30, total $1,299.99, client v3.11.7."
    )
    assert counts == Counter(["EMAIL", "PHONE", "CARD", "IBAN", "GOV_ID", "IP", "API_KEY"])


def test_digit_groups_are_not_split_between_kinds(redactor: Redactor) -> None:
    # A card is taken whole before phones run; a Luhn-failing run is not nibbled by the phone patterns;
    # an IBAN with a typo does not leave a "card" behind in its BBAN.
    assert redactor.redact("card 4111 1111 1111 1111 ok")[0] == "card [CARD] ok"
    for text in ("card 4111 1111 1111 1112 ok", "iban DE89 3704 0044 0532 0130 01 ok"):
        assert redactor.redact(text) == (text, Counter())
    # Two cards in one run of groups, and a card after a leading year, are each found.
    assert redactor.redact("4111 1111 1111 1111 5500 0000 0000 0004")[0] == "[CARD] [CARD]"
    assert redactor.redact("2026 4111 1111 1111 1111")[0] == "2026 [CARD]"


def test_redacting_twice_changes_nothing_and_counts_nothing(redactor: Redactor) -> None:
    once, first = redactor.redact_many(mixed_corpus(2000, seed=3))
    twice, second = redactor.redact_many(once)
    assert sum(first.values()) > 2000
    assert twice == once
    assert second == Counter()


@pytest.mark.parametrize(
    "glued",
    ["030 1234567::1", "192.168.1.10::ffff:192.0.2.1", "x@y.de::1", "4111111111111111::1", "AB123456C::1"],
)
def test_a_placeholder_does_not_expose_a_neighbour_on_the_second_pass(redactor: Redactor, glued: str) -> None:
    # "::1" glued to a word is code-like and left alone; once the word is "[...]" it must still be left alone.
    once, _ = redactor.redact(glued)
    assert once.endswith("::1") or once.endswith("::ffff:[IP]")
    assert redactor.redact(once) == (once, Counter())


def test_redact_many_keeps_none_and_sums_counts(redactor: Redactor) -> None:
    texts: list[str | None] = ["a x@y.de", None, "b 10.0.0.1 and x@y.de", ""]
    assert redactor.redact_many(texts) == (
        ["a [EMAIL]", None, "b [IP] and [EMAIL]", ""],
        Counter({"EMAIL": 2, "IP": 1}),
    )


def test_extra_patterns_run_after_builtins() -> None:
    redactor = Redactor(extra={"ORDER_ID": r"\bORD-[0-9]{6}\b", "TICKET": r"\bTCK[0-9]+"})
    text = "ORD-123456 / TCK42 / ORD-12345 / mail ops@example.com"
    assert redactor.redact(text) == (
        "[ORDER_ID] / [TICKET] / ORD-12345 / mail [EMAIL]",
        Counter({"ORDER_ID": 1, "TICKET": 1, "EMAIL": 1}),
    )


@pytest.mark.parametrize(
    ("kind", "pattern", "problem"),
    [
        ("ORDER_ID", "ORD-(unclosed", "not a valid regular expression"),
        ("ORDER_ID", r"(?<=order )[0-9]+", "lookbehind"),
        ("ORDER_ID", r"(ab)\1", "backreferences"),
        ("ORDER_ID", r"ORD-[0-9]+$", "'$'"),
        ("ORDER_ID", r"x*", "empty text"),
        ("ORDER_ID", r"[A-Z]{4,}", "matches the placeholder"),
        ("order id", r"ORD-[0-9]+", "upper-case name"),
    ],
)
def test_bad_extra_pattern_raises_config_error_naming_the_kind(kind: str, pattern: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Redactor(extra={"EXTRA_OK": r"\bOK-[0-9]+", kind: pattern})
    message = str(caught.value)
    assert repr(kind) in message
    assert problem in message
    assert "how to fix:" in message


def test_duckdb_path_matches_python_path_on_a_mixed_corpus() -> None:
    redactor = Redactor(extra={"ORDER_ID": r"\bORD-[0-9]{6}\b"})
    prompts, responses = mixed_corpus(400, seed=1), mixed_corpus(400, seed=2)
    con = duckdb.connect()
    con.execute("CREATE TABLE logs (log_id INTEGER, input_text VARCHAR, output_text VARCHAR, n INTEGER)")
    con.executemany(
        "INSERT INTO logs VALUES (?, ?, ?, 7)", list(zip(range(400), prompts, responses, strict=True))
    )

    counts = redactor.redact_table(con, "logs", ["input_text", "output_text"])

    py_in, in_counts = redactor.redact_many(prompts)
    py_out, out_counts = redactor.redact_many(responses)
    rows = con.execute("SELECT input_text, output_text, n FROM logs ORDER BY log_id").fetchall()
    assert rows == [(a, b, 7) for a, b in zip(py_in, py_out, strict=True)]
    assert counts == in_counts + out_counts
    assert set(counts) == {*PLANTED, "ORDER_ID"}
    assert sum(v is None for v in prompts) > 10  # NULLs were in the input and stayed NULL (compared above)


def test_redact_table_on_a_file_leaves_no_planted_secret_in_its_bytes(tmp_path: Path) -> None:
    secrets = [value for _, value in PLANTED_CASES]
    rows = [
        (i, f"user wrote: {secrets[i % len(secrets)]} (row {i})", f"echo {secrets[-1 - i % 9]}")
        for i in range(500)
    ]

    def write(path: Path, redact: bool) -> bytes:
        con = duckdb.connect(str(path))
        con.execute("SET force_compression = 'uncompressed'")  # so the byte scan can see stored text
        con.execute("CREATE TABLE logs (log_id INTEGER, input_text VARCHAR, output_text VARCHAR)")
        con.executemany("INSERT INTO logs VALUES (?, ?, ?)", rows)
        if redact:  # in two parts: the work tables, too, must stay out of the file
            Redactor().redact_table(con, "logs", ["input_text", "output_text"], parts=2)
        con.execute("CHECKPOINT")
        con.close()
        return b"".join(f.read_bytes() for f in path.parent.iterdir())  # the file and any WAL

    (tmp_path / "raw").mkdir()
    (tmp_path / "redacted").mkdir()
    raw = write(tmp_path / "raw" / "logs.duckdb", redact=False)
    assert all(s.encode() in raw for s in secrets)  # the scan does see unredacted text
    redacted = write(tmp_path / "redacted" / "logs.duckdb", redact=True)
    assert [s for s in secrets if s.encode() in redacted] == []
    assert b"[CARD]" in redacted and b"Bearer" not in redacted


def test_redact_table_rejects_non_text_and_missing_columns() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE logs (log_id INTEGER, input_text VARCHAR)")
    with pytest.raises(IngestError, match="only VARCHAR"):
        Redactor().redact_table(con, "logs", ["input_text", "log_id"])
    with pytest.raises(IngestError, match="nope"):
        Redactor().redact_table(con, "logs", ["nope"])


def test_module_imports_without_duckdb() -> None:
    code = "import sys, paritylab.ingest.redact; sys.exit('duckdb' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


FILLER = [
    "Summarise the attached ticket for the on-call engineer.",
    "Refunds for annual plans are available within 30 days (policy v3.11.7, updated 2026-11-23).",
    "Order ORD-123456 shipped at 10:30; total $1,299.99.",
    "Die Rechnung über 49,00 € ist fällig. 日本語のテキスト。",
    "Use Vec::add and std::cout; see RFC 8601 and HTTP 404.",
    "",
    "\n",
]


def mixed_corpus(n: int, seed: int) -> list[str | None]:
    """Filler, planted values and near-misses glued with assorted separators; some NULLs."""
    rng = random.Random(seed)
    pieces = (
        FILLER
        + NEAR_MISSES
        + [value for _, value in PLANTED_CASES]
        + ["Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0"]
    )
    separators = [" ", ", ", "\n", "", "-", ".", ":", "(", ") ", " x"]
    corpus: list[str | None] = []
    for _ in range(n):
        if rng.random() < 0.05:
            corpus.append(None)
            continue
        parts = [rng.choice(pieces) + rng.choice(separators) for _ in range(rng.randint(1, 6))]
        corpus.append("".join(parts))
    return corpus


TRICKY_DIGITS = [
    "card 4111 1111 1111 1111 ok",
    "card 4111 1111 1111 1112 ok",
    "iban DE89 3704 0044 0532 0130 01 ok",
    "iban DE89 3704 0044 0532 0130 00 FROM 2026",
    "4111 1111 1111 1111 5500 0000 0000 0004",
    "2026 4111 1111 1111 1111",
    "+4915112345678 then 4111111111111111 then +4411111111111111111",
    "DE89370400440532013001 4111111111111111",
    "4111111111111111::1",
    "x 5500-0000-0000-0004-123 and 4012888888881881 and 3530 111333 300000",
]


@pytest.mark.parametrize(("seed", "parts"), [(11, None), (12, 1), (13, 3)])
def test_table_checksum_stages_match_the_python_scan(
    redactor: Redactor, seed: int, parts: int | None
) -> None:
    """The table path lets RE2 find checksum candidates and falls back to the Python scan where a
    candidate is not valid as a whole: both must give the same text and counts, tricky runs included,
    with the work split in parts redacted side by side or not."""
    texts = TRICKY_DIGITS + [t for t in mixed_corpus(1500, seed=seed) if t is not None]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, a VARCHAR, b VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, x, x[::-1]) for i, x in enumerate(texts)])
    counts = redactor.redact_table(con, "t", ["a", "b"], parts=parts)
    assert con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%redact%'"
    ).fetchall() == [(0,)]  # the work tables are gone
    expect_a, counts_a = redactor.redact_many(list(texts))
    expect_b, counts_b = redactor.redact_many([x[::-1] for x in texts])
    rows = con.execute("SELECT a, b FROM t ORDER BY i").fetchall()
    assert rows == list(zip(expect_a, expect_b, strict=True))
    assert counts == counts_a + counts_b


@pytest.mark.parametrize("parts", [1, 2])
def test_rows_dropped_after_redacting_take_their_counts_along_and_stay_unwritten(
    redactor: Redactor, parts: int
) -> None:
    """The ingest redacts while Great Expectations runs, then drops the rows GX rejected: those rows
    must count nothing (checksum kinds included) and keep their text in the table (they are deleted
    from it next; quarantine redacts their raw line on its own)."""
    texts = [t for t in mixed_corpus(300, seed=5) if t is not None]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, a VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
    with redactor.begin_redact_table(con, "t", ["a"], parts=parts) as job:
        job.redact()
        job.drop_rows("SELECT rowid FROM t WHERE i % 2 = 1")
        counts = job.finish()
    kept, kept_counts = redactor.redact_many(texts[0::2])
    assert counts == kept_counts
    assert {"CARD", "IBAN"} <= set(counts)
    rows = con.execute("SELECT i, a FROM t ORDER BY i").fetchall()
    assert [a for i, a in rows if i % 2 == 0] == kept
    assert [a for i, a in rows if i % 2 == 1] == texts[1::2]


def test_redact_table_inside_a_transaction_works_in_one_part(redactor: Redactor) -> None:
    """Work tables created inside BEGIN ... are invisible to the cursors that redact parts side by side:
    the redaction then runs in one part, and the caller's transaction decides what is kept."""
    texts = [t for t in mixed_corpus(200, seed=7) if t is not None]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, a VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
    con.execute("BEGIN")
    counts = redactor.redact_table(con, "t", ["a"], parts=3)
    con.execute("COMMIT")
    expected, expected_counts = redactor.redact_many(texts)
    assert [a for (a,) in con.execute("SELECT a FROM t ORDER BY i").fetchall()] == expected
    assert counts == expected_counts


@pytest.mark.parametrize("parts", [1, 2])
def test_a_redaction_leaves_no_update_versions_in_memory(redactor: Redactor, parts: int) -> None:
    """DuckDB keeps what an UPDATE writes in memory it cannot spill, until the table goes: the work tables
    are replaced by copies after each pass, so long texts with PII do not pile up versions (~6x their
    size) that ran a 4 GB ingest out of its memory limit."""
    con = duckdb.connect()
    con.execute("""CREATE TABLE t AS
                   SELECT repeat('Refunds for annual plans are available within 30 days. ', 90)
                          || ' card 4111 1111 1111 1111, mail jo' || i || '@example.com' AS text
                   FROM range(2000) r(i)""")
    with redactor.begin_redact_table(con, "t", ["text"], parts=parts) as job:
        job.redact()
        [(held,)] = con.execute(
            "SELECT memory_usage_bytes FROM duckdb_memory() WHERE tag = 'ALLOCATOR'"
        ).fetchall()
        counts = job.finish()
    assert held < 5_000_000  # 67 MB before the copies, for 10 MB of text
    assert counts == {"EMAIL": 2000, "CARD": 2000}
    assert con.execute("SELECT count(*) FROM t WHERE text LIKE '%[CARD]%[EMAIL]%'").fetchall() == [(2000,)]
