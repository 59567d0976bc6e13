"""The bundled synthetic logs (datasets/sample): reproducible, parseable, with the stated failure rates."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "datasets" / "sample"
DAYS = [(datetime(2026, 11, 16) + timedelta(days=i)).date() for i in range(5)]
LOGGER_LINE = re.compile(r"^(DEBUG|INFO|WARNING|ERROR):[\w.]+:")
RECORD_PREFIX = "INFO:llm_calls:"
# Stated rates (README) and the bands the committed data must fall in, as a fraction of all calls.
BANDS = {
    "hallucination": (0.045, 0.075),
    "wrong_fact": (0.025, 0.055),
    "refusal": (0.02, 0.045),
    "error": (0.02, 0.045),
    "thumbs_down": (0.065, 0.095),
    "thumbs_up": (0.085, 0.12),
    "guardrails": (0.01, 0.03),
    "pii": (0.035, 0.065),
}


def data_files(root: Path) -> dict[str, bytes]:
    paths = [*root.glob("kb/*"), *root.glob("logs/*"), root / "truth.jsonl"]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in paths if p.is_file()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("sample")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, str(SAMPLE / "generate.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return out, proc.stdout


# --- readers: one normalised dict per logged call ------------------------------------------------


def read_lines(path: Path) -> list[str]:
    raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return raw.decode("utf-8").splitlines()


def wrapper_json(path: Path) -> list[dict[str, Any]]:
    if not path.name.endswith(".log"):
        return [json.loads(line) for line in read_lines(path)]
    out = []
    for line in read_lines(path):
        if line.startswith(RECORD_PREFIX):
            out.append(json.loads(line.removeprefix(RECORD_PREFIX)))
        else:
            assert line == "" or LOGGER_LINE.match(line), line
    return out


def from_wrapper(root: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted((root / "logs").glob("wrapper-*")):
        for r in wrapper_json(path):
            out.append(
                {
                    "source_file": f"logs/{path.name}",
                    "source_id": r["request_id"],
                    "ts": r["ts"],
                    "question": r["question"],
                    "feedback": r["feedback"],
                    "guardrails": r["guardrails"],
                    "ok": r["ok"],
                    "raw": r,
                }
            )
    return out


def question_of(user_content: str) -> str:
    match = re.search(r"<question>\n(.*)\n</question>", user_content, re.DOTALL)
    assert match, user_content
    return match.group(1)


def from_openai(root: Path) -> list[dict[str, Any]]:
    out = []
    for line in read_lines(root / "logs/openai-requests.jsonl"):
        r = json.loads(line)
        meta = r["metadata"]
        out.append(
            {
                "source_file": "logs/openai-requests.jsonl",
                "source_id": r["id"],
                "ts": r["created_at"],
                "question": question_of(r["request"]["messages"][1]["content"]),
                "feedback": meta["feedback"],
                "guardrails": meta["guardrails"],
                "ok": r["error"] is None,
                "raw": r,
            }
        )
    return out


def attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values())) for a in items}


def span_question(span: dict[str, Any], attrs: dict[str, Any]) -> str:
    if "gen_ai.input.messages" in attrs:
        return question_of(json.loads(attrs["gen_ai.input.messages"])[1]["parts"][0]["content"])
    event = next(e for e in span["events"] if e["name"] == "gen_ai.user.message")
    return question_of(attributes(event["attributes"])["content"])


def span_record(span: dict[str, Any]) -> dict[str, Any]:
    attrs = attributes(span["attributes"])
    ts = datetime.fromtimestamp(int(span["startTimeUnixNano"]) // 10**9, UTC).isoformat()
    flags = [v["stringValue"] for v in attrs.get("app.guardrail_flags", {}).get("values", [])]
    feedback = int(attrs["app.feedback"]) if "app.feedback" in attrs else None
    return {
        "source_file": "logs/otel-spans.jsonl",
        "source_id": span["spanId"],
        "ts": ts,
        "question": span_question(span, attrs),
        "feedback": feedback,
        "guardrails": flags,
        "ok": span["status"] == {},
        "raw": span,
        "attrs": attrs,
    }


def otel_spans(root: Path) -> list[dict[str, Any]]:
    spans = []
    for line in read_lines(root / "logs/otel-spans.jsonl"):
        scope_spans = json.loads(line)["resourceSpans"][0]["scopeSpans"][0]["spans"]
        assert 1 <= len(scope_spans) <= 20
        spans += scope_spans
    return spans


def from_otel(root: Path) -> list[dict[str, Any]]:
    return [span_record(s) for s in otel_spans(root)]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return from_wrapper(SAMPLE) + from_openai(SAMPLE) + from_otel(SAMPLE)


@pytest.fixture(scope="module")
def truth() -> list[dict[str, Any]]:
    return [json.loads(line) for line in read_lines(SAMPLE / "truth.jsonl")]


# --- tests ---------------------------------------------------------------------------------------


def test_regenerating_with_the_default_seed_is_byte_identical(regenerated: tuple[Path, str]) -> None:
    out, _ = regenerated
    committed, fresh = data_files(SAMPLE), data_files(out)
    assert sorted(fresh) == sorted(committed)
    assert any(name.endswith(".jsonl.gz") for name in fresh)
    for name, data in fresh.items():
        assert data == committed[name], f"{name} differs: rerun datasets/sample/generate.py and commit"


def test_readme_shows_the_rates_the_generator_prints(regenerated: tuple[Path, str]) -> None:
    _, stdout = regenerated
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme
    assert stdout.strip() in readme


def test_every_record_parses_and_has_exactly_one_truth_label(
    records: list[dict[str, Any]], truth: list[dict[str, Any]]
) -> None:
    keys = [(r["source_file"], r["source_id"]) for r in records]
    assert len(keys) == len(set(keys)) == len(truth)
    assert set(keys) == {(t["source_file"], t["source_id"]) for t in truth}
    shares = Counter(r["source_file"].split("-")[0] for r in records)
    assert 0.45 < shares["logs/wrapper"] / len(records) < 0.55
    assert 0.25 < shares["logs/openai"] / len(records) < 0.35
    assert 0.15 < shares["logs/otel"] / len(records) < 0.25
    assert all("label" not in r["raw"] for r in records)
    log_lines = read_lines(next((SAMPLE / "logs").glob("wrapper-logging-*.log")))
    assert any(line.startswith("INFO:httpx:") for line in log_lines)
    assert any(line.startswith("WARNING:openai._base_client:Retrying") for line in log_lines)


def rate(count: int, total: int, band: str) -> None:
    low, high = BANDS[band]
    assert low <= count / total <= high, f"{band}: {count}/{total}"


def test_failure_mode_rates_are_within_the_stated_bands(
    records: list[dict[str, Any]], truth: list[dict[str, Any]]
) -> None:
    n = len(truth)
    labels = Counter(t["label"] for t in truth)
    for label in ("hallucination", "wrong_fact", "refusal", "error"):
        rate(labels[label], n, label)
    rate(sum(r["feedback"] == -1 for r in records), n, "thumbs_down")
    rate(sum(r["feedback"] == 1 for r in records), n, "thumbs_up")
    rate(sum(bool(r["guardrails"]) for r in records), n, "guardrails")
    assert sum(not r["ok"] for r in records) == labels["error"]


def test_thumbs_down_is_likelier_on_bad_answers(
    records: list[dict[str, Any]], truth: list[dict[str, Any]]
) -> None:
    label = {(t["source_file"], t["source_id"]): t["label"] for t in truth}
    down, total = Counter[str](), Counter[str]()
    for r in records:
        kind = "ok" if label[(r["source_file"], r["source_id"])] == "ok" else "bad"
        total[kind] += 1
        down[kind] += r["feedback"] == -1
    assert down["bad"] / total["bad"] > 4 * down["ok"] / total["ok"] > 0


def test_otlp_file_has_both_semantic_conventions() -> None:
    spans = otel_spans(SAMPLE)
    new = [s for s in spans if any(a["key"] == "gen_ai.input.messages" for a in s["attributes"])]
    old = [s for s in spans if "events" in s]
    assert len(new) + len(old) == len(spans)
    assert 0.2 < len(old) / len(spans) < 0.45
    assert all(any(a["key"] == "gen_ai.system" for a in s["attributes"]) for s in old)
    assert all(any(a["key"] == "gen_ai.provider.name" for a in s["attributes"]) for s in new)
    failed = [s for s in spans if s["status"]]
    assert failed and all(s["status"]["code"] == 2 for s in failed)
    assert all(any(a["key"] == "error.type" for a in s["attributes"]) for s in failed)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    compact = iban.replace(" ", "")
    return int("".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])) % 97 == 1


PII = {
    "email": re.compile(r"[\w.+-]+@(?:mail\.)?example\.(?:com|org|net)"),
    "card": re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){4}(?: ?[A-Z0-9]{1,4})?\b"),
    "ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "api_key": re.compile(r"\bsk-proj-[\w-]{20,}"),
    "ip": re.compile(r"\b(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}\b"),
    "phone": re.compile(r"\+\d{1,2} [\d() -]{8,}\d"),
}
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4.1-mini": (0.40, 1.60)}


def pii_found(question: str) -> dict[str, list[str]]:
    """PII by kind; IBANs are cut out first so that their digit groups do not read as card numbers."""
    found = {kind: [m.group(0) for m in pattern.finditer(question)] for kind, pattern in PII.items()}
    rest = PII["iban"].sub(" ", question)
    found["card"] = [m.group(0) for m in PII["card"].finditer(rest)]
    return {kind: hits for kind, hits in found.items() if hits}


def test_some_questions_carry_pii(records: list[dict[str, Any]]) -> None:
    found = [pii_found(r["question"]) for r in records]
    assert all(any(kind in f for f in found) for kind in PII)
    cards = [c for f in found for c in f.get("card", [])]
    assert "4111 1111 1111 1111" in cards or "4111111111111111" in cards
    assert all(luhn_ok(re.sub(r"\D", "", c)) for c in cards)
    assert all(iban_ok(i) for f in found for i in f.get("iban", []))
    rate(sum(bool(f) for f in found), len(records), "pii")


def test_timestamps_span_the_configured_days(records: list[dict[str, Any]]) -> None:
    dates = {datetime.fromisoformat(r["ts"]).date() for r in records}
    assert sorted(dates) == DAYS
    wrapper_ts = [r["ts"] for r in records if r["source_file"].startswith("logs/wrapper")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts) for ts in wrapper_ts)


def test_tokens_cost_and_errors_are_consistent(records: list[dict[str, Any]]) -> None:
    wrapper = [r["raw"] for r in records if r["source_file"].startswith("logs/wrapper")]
    for r in wrapper:
        assert abs(r["input_tokens"] - len(r["prompt"].split()) * 1.3) <= 2
        if r["ok"]:
            assert r["response"] is not None and r["error"] is None
            price_in, price_out = PRICES[r["model"]]
            expected = (r["input_tokens"] * price_in + r["output_tokens"] * price_out) / 1e6
            assert r["est_cost_usd"] == pytest.approx(expected, abs=1e-8)
        else:
            assert r["response"] is None and r["output_tokens"] is None and r["error"]
    timeouts = [r for r in wrapper if r["error"] and "Timeout" in r["error"]]
    assert timeouts and all(r["latency_ms"] == 30000 for r in timeouts)


def test_one_question_is_asked_many_times_in_many_phrasings(
    records: list[dict[str, Any]], truth: list[dict[str, Any]]
) -> None:
    qid = {(t["source_file"], t["source_id"]): t["question_id"] for t in truth}
    hot = [r["question"] for r in records if qid[(r["source_file"], r["source_id"])] == "refund-annual"]
    assert len(hot) >= 60
    assert len(set(hot)) >= 20
