#!/usr/bin/env python3
"""Seeded SYNTHETIC production logs of "helpdesk-assistant", the support bot of the fictional app Tandem.

Writes kb/articles.jsonl, the calls in three log formats under logs/ (logging wrapper JSONL per day,
OpenAI-style request logs, OTLP/JSON GenAI spans) and truth.jsonl (labels, kept out of the logs).
Same seed and arguments -> byte-identical files. Usage: python datasets/sample/generate.py --help
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tandem_kb as kb  # the help-centre content, next to this script

START = datetime(2026, 11, 16, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
APP = "helpdesk-assistant"
TEMPERATURE = 0.2
MAX_TOKENS = 400
TIMEOUT_MS = 30_000
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4.1-mini": (0.40, 1.60)}  # USD per 1M input / output tokens
RESPONSE_MODELS = {"gpt-4o-mini": "gpt-4o-mini-2024-07-18", "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14"}
SYSTEM_PROMPTS = {
    "support-v3": "You are Tandem's help-centre assistant. Answer only from the documents inside <context>. "
    "If they do not contain the answer, say so. Keep answers short and friendly.",
    "support-v4": "You are Tandem's help-centre assistant. Answer only from the documents inside <context> "
    "and name the article you used. If they do not contain the answer, say so. Never repeat personal data "
    "from the question. Keep answers short and friendly.",
}
# Absolute rates of the outcome drawn per call; whatever is left is a correct, grounded answer.
OUTCOME_RATES = (("error", 0.03), ("off_topic", 0.007), ("hallucination", 0.06), ("wrong_fact", 0.04),
                 ("refusal", 0.023))
ERROR_KINDS = (("rate_limit", 0.4), ("timeout", 0.4), ("server", 0.2))
# (P(thumbs down), P(thumbs up)) by label: bad answers get more thumbs-down.
FEEDBACK = {"ok": (0.027, 0.115), "hallucination": (0.35, 0.06), "wrong_fact": (0.35, 0.03),
            "refusal": (0.45, 0.0), "error": (0.30, 0.0)}
FORMATS = (("wrapper", 0.5), ("openai", 0.3), ("otel", 0.2))
PII_RATE = 0.052  # of on-topic questions (off-topic ones never carry PII)
PII_ECHO_RATE = 0.15  # of answered PII questions: the answer repeats the PII (guardrail pii_in_output)
INJECTION_RATE = 0.007
LENGTH_RATE = 0.01  # of correct answers: verbose, cut at max_tokens (finish_reason "length")
HOT_SHARE = 0.025  # share of all questions that are the near-duplicate HOT_QID
HOURLY = (2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 13, 13, 12, 12, 13, 14, 14, 12, 9, 7, 6, 5, 4, 3)
N_USERS = 700
WRAPPER_ERRORS = {"rate_limit": "RateLimitError: 429 Too Many Requests",
                  "timeout": "APITimeoutError: Request timed out.", "server": "InternalServerError: 500"}
OPENAI_ERRORS = {
    "rate_limit": {"type": "rate_limit_error", "status": 429,
                   "message": "Rate limit reached for {model} in organization org-tandemhelp on requests per "
                              "min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms."},
    "timeout": {"type": "timeout", "status": 408, "message": "Request timed out."},
    "server": {"type": "server_error", "status": 500,
               "message": "The server had an error while processing your request. Sorry about that!"},
}
OTEL_ERRORS = {"rate_limit": ("429", "Error code: 429 - Rate limit reached for requests"),
               "timeout": ("timeout", "Request timed out."),
               "server": ("500", "Error code: 500 - The server had an error while processing your request.")}
HTTP_STATUS = {"rate_limit": "429 Too Many Requests", "server": "500 Internal Server Error"}
ARTICLES = {a.doc_id: a for a in kb.ARTICLES}
NUMBER = re.compile(r"(?<![\w.$-])\$?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w-])")


@dataclass
class Call:
    """One logged LLM call and its hidden ground truth."""

    ts_ms: int
    day: int
    fmt: str
    model: str
    prompt_version: str
    user_id: str
    ids: dict[str, str]
    qid: str | None = None
    doc_id: str | None = None
    question: str = ""
    pii: list[tuple[str, str]] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # doc_ids, in prompt order
    label: str = "ok"
    error: str | None = None
    response: str | None = None
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int | None = None
    latency_ms: int = 0
    feedback: int | None = None
    guardrails: list[str] = field(default_factory=list)
    sub_ms_ns: tuple[int, int] = (0, 0)


# --- small helpers -------------------------------------------------------------------------------


def pick(rng: random.Random, weighted: Sequence[tuple[str, float]], rest: str | None = None) -> str:
    """A name from (name, probability) pairs; `rest` takes the leftover probability mass."""
    r = rng.random()
    for name, p in weighted:
        if r < p:
            return name
        r -= p
    return rest if rest is not None else weighted[-1][0]


def hexid(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4) | 1:0{digits}x}"


def tokens(text: str) -> int:
    """Token count stand-in: round(words x 1.3)."""
    return max(1, round(len(text.split()) * 1.3))


def iso(ms: int) -> str:
    return (EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def day_start_ms(day: int) -> int:
    return int((START + timedelta(days=day) - EPOCH).total_seconds()) * 1000


def day_name(day: int) -> str:
    return (START + timedelta(days=day)).strftime("%Y-%m-%d")


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    price_in, price_out = PRICES[model]
    return round((input_tokens * price_in + output_tokens * price_out) / 1e6, 8)


def percentile(values: Sequence[int], q: float) -> int:
    ordered = sorted(values)
    if not ordered:
        return 0
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


# --- PII -----------------------------------------------------------------------------------------

FIRST = ("jane", "omar", "li", "sofia", "mateo", "anna", "kwame", "priya", "lukas", "emma", "yuki", "david")
LAST = ("doe", "haddad", "wei", "rossi", "garcia", "novak", "mensah", "sharma", "becker", "martin", "tanaka")
PII_KINDS = (("email", 0.30), ("phone", 0.20), ("card", 0.15), ("iban", 0.10), ("ip", 0.10), ("ssn", 0.08),
             ("api_key", 0.07))
PII_TEMPLATES = {
    "email": ("My account email is {v}.", "I'm {v}, the workspace owner.", "Please reply to {v}."),
    "phone": ("Call me on {v} if that's easier.", "My phone number is {v}."),
    "card": ("I paid with the card {v}.", "The card {v} was charged."),
    "iban": ("Our IBAN is {v}.", "Please send the money to IBAN {v}."),
    "ip": ("I'm connecting from {v}.", "Our office IP is {v} in case that matters."),
    "ssn": ("My SSN is {v} if you need to verify me.",),
    "api_key": ("Here is my API key: {v}", "I'm using the key {v} and it fails."),
}
TEST_CARDS = ("4111111111111111", "5555555555554444", "4242424242424242", "4012888888881881")


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def iban_check(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


def fake_email(rng: random.Random) -> str:
    sep = rng.choice((".", "_", ""))
    tail = rng.choice(("", str(rng.randint(1, 99))))
    domain = rng.choice(("example.com", "example.org", "example.net", "mail.example.com"))
    return f"{rng.choice(FIRST)}{sep}{rng.choice(LAST)}{tail}@{domain}"


def fake_phone(rng: random.Random) -> str:
    line = rng.randint(100, 199)
    return rng.choice((f"+1 (415) 555-0{line}", f"+1 212-555-0{line}", f"+44 20 7946 0{line}",
                       f"+49 30 555 0{line}"))


def fake_card(rng: random.Random) -> str:
    number = rng.choice(TEST_CARDS)
    if rng.random() < 0.5:
        body = "4" + "".join(rng.choice(string.digits) for _ in range(14))
        number = body + luhn_digit(body)
    groups = [number[i:i + 4] for i in range(0, 16, 4)]
    return rng.choice((" ", " ", "-", "")).join(groups)


def fake_iban(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(("DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32"))
    bban = "".join(rng.choice(string.digits) for _ in range(18))
    iban = "DE" + iban_check("DE", bban) + bban
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.7 else iban


def fake_ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(100, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def fake_ip(rng: random.Random) -> str:
    return f"{rng.choice(('203.0.113', '198.51.100', '192.0.2'))}.{rng.randint(2, 254)}"


def fake_api_key(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + "".join(rng.choice(alphabet) for _ in range(48))


PII_MAKERS = {"email": fake_email, "phone": fake_phone, "card": fake_card, "iban": fake_iban,
              "ssn": fake_ssn, "ip": fake_ip, "api_key": fake_api_key}


def add_pii(rng: random.Random, question: str) -> tuple[str, tuple[str, str]]:
    kind = pick(rng, PII_KINDS)
    value = PII_MAKERS[kind](rng)
    sentence = rng.choice(PII_TEMPLATES[kind]).format(v=value)
    text = f"{sentence} {question}" if rng.random() < 0.4 else f"{question} {sentence}"
    return text, (kind, value)


# --- questions -----------------------------------------------------------------------------------

PREFIXES = ("", "", "", "", "Hi, ", "Hello! ", "hey - ", "Quick question: ", "Hi there, ", "Good morning. ")
SUFFIXES = ("", "", "", "", " Thanks!", " thx", " Thanks in advance.", " Please help.", " ??")


def qa_weights(rng: random.Random) -> tuple[list[kb.QA], list[float]]:
    """Zipf-like popularity over a seeded order; the hot question gets a fixed share."""
    others = [qa for qa in kb.QAS if qa.qid != kb.HOT_QID]
    rng.shuffle(others)
    raw = [1.0 / (rank + 1) ** 0.7 for rank in range(len(others))]
    scale = (1.0 - HOT_SHARE) / sum(raw)
    hot = next(qa for qa in kb.QAS if qa.qid == kb.HOT_QID)
    return [hot, *others], [HOT_SHARE] + [w * scale for w in raw]


def typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    j = rng.randrange(len(words[i]) - 1)
    w = words[i]
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def vary(rng: random.Random, phrasing: str) -> str:
    """A user's rendering of a canonical phrasing: greeting, casing, typos, sign-off."""
    text = phrasing
    if rng.random() < 0.08:
        text = typo(rng, text)
    if rng.random() < 0.12:
        text = text.lower()
    if rng.random() < 0.08:
        text = text.rstrip("?")
    prefix = rng.choice(PREFIXES)
    if prefix.endswith((", ", ": ", "- ")) and len(text) > 1 and text[1].islower():
        text = text[0].lower() + text[1:]
    return prefix + text + rng.choice(SUFFIXES)


# --- retrieval and answers -----------------------------------------------------------------------


def retrieve(rng: random.Random, doc_id: str | None) -> list[str]:
    """2-4 articles: the right one (if any) plus neighbours from the same topic cluster."""
    k = int(pick(rng, (("2", 0.1), ("3", 0.8), ("4", 0.1))))
    if doc_id is None:
        return rng.sample(sorted(ARTICLES), k)
    cluster = ARTICLES[doc_id].cluster
    same = sorted(d for d, a in ARTICLES.items() if a.cluster == cluster and d != doc_id)
    other = sorted(d for d, a in ARTICLES.items() if a.cluster != cluster)
    picked = rng.sample(same, min(k - 1, len(same)))
    picked += rng.sample(other, k - 1 - len(picked))
    rng.shuffle(picked)
    position = 0 if rng.random() < 0.7 else rng.randrange(k)
    return [*picked[:position], doc_id, *picked[position:]]


def numbers_in(text: str) -> set[str]:
    return {m.group(1) for m in NUMBER.finditer(text)}


def swap_number(rng: random.Random, answer: str, forbidden: set[str]) -> str | None:
    """The answer with one number replaced by a value that appears nowhere in the context."""
    matches = [m for m in NUMBER.finditer(answer) if m.group(1) != "429"]
    if not matches:
        return None
    m = rng.choice(matches)
    raw = m.group(1)
    if "." in raw:
        options = ["99.5", "99.99", "98", "0.5"]
    else:
        v = int(raw.replace(",", ""))
        options = [f"{x:,}" if "," in raw else str(x) for x in (v * 3, v * 2, v * 6, v + 5, max(1, v // 2))]
    options = [o for o in options if o != raw and o not in forbidden]
    new = rng.choice(options)
    start, end = m.span(1)
    return answer[:start] + new + answer[end:]


def hallucinate(rng: random.Random, qa: kb.QA, context_text: str) -> str:
    """A confident answer with a policy or number that contradicts or is absent from the context."""
    text = None
    if qa.hallucinations and rng.random() < 0.6:
        text = rng.choice(qa.hallucinations)
    text = text or swap_number(rng, qa.answer, numbers_in(context_text)) or rng.choice(qa.hallucinations)
    if rng.random() < 0.3:
        text += " " + rng.choice(kb.INVENTED_CLAIMS)
    return text


def wrong_fact(rng: random.Random, call: Call) -> str:
    """A faithful answer to a different question, from another retrieved article (same topic if any)."""
    wrong_docs = [d for d in call.context if d != call.doc_id]
    cluster = ARTICLES[call.doc_id].cluster if call.doc_id else ""
    doc = rng.choice([d for d in wrong_docs if ARTICLES[d].cluster == cluster] or wrong_docs)
    return rng.choice([qa for qa in kb.QAS if qa.doc_id == doc]).answer


def verbose(core: str, context: list[str]) -> str:
    """A rambling answer that runs into max_tokens: exactly MAX_TOKENS tokens worth of words."""
    words, filler = core.split(), " ".join(ARTICLES[d].text for d in context).split()
    n = math.ceil((MAX_TOKENS - 0.5) / 1.3)
    return " ".join(words + [filler[i % len(filler)] for i in range(n - len(words))])


def dress(rng: random.Random, core: str, call: Call) -> str:
    """Opener + core + closer; support-v4 also names its source article."""
    title = ARTICLES[call.doc_id].title if call.doc_id else ""
    text = rng.choice(kb.OPENERS) + core + rng.choice(kb.CLOSERS).format(title=title)
    if call.prompt_version == "support-v4" and call.doc_id:
        text += f' (Source: "{title}")'
    return text


def answer(rng: random.Random, call: Call, qa: kb.QA | None) -> None:
    """Fill response and finish_reason for the call's label."""
    if call.label == "error":
        return
    call.finish_reason = "stop"
    if call.qid is None:
        call.response = rng.choice(kb.OFF_TOPIC_REPLIES)
    elif call.label == "refusal":
        call.response = rng.choice(kb.REFUSALS)
    elif call.label == "hallucination" and qa:
        context_text = " ".join(ARTICLES[d].text for d in call.context)
        call.response = dress(rng, hallucinate(rng, qa, context_text), call)
    elif call.label == "wrong_fact":
        call.response = dress(rng, wrong_fact(rng, call), call)
    elif qa and rng.random() < LENGTH_RATE:
        call.response, call.finish_reason = verbose(qa.answer, call.context), "length"
    elif qa:
        call.response = dress(rng, qa.answer, call)


# --- prompts -------------------------------------------------------------------------------------


def user_content(call: Call) -> str:
    docs = "\n\n".join(ARTICLES[d].text for d in call.context)
    return f"<context>\n{docs}\n</context>\n<question>\n{call.question}\n</question>"


def system_prompt(call: Call) -> str:
    return SYSTEM_PROMPTS[call.prompt_version]


def full_prompt(call: Call) -> str:
    return system_prompt(call) + "\n\n" + user_content(call)


# --- one call ------------------------------------------------------------------------------------


def pick_model(rng: random.Random, day: int, days: int) -> tuple[str, str]:
    """From the last 40% of the days on, a canary of gpt-4.1-mini and a few support-v4 prompts."""
    late = day >= days - (days * 2) // 5 and days > 1
    model = "gpt-4.1-mini" if late and rng.random() < 0.25 else "gpt-4o-mini"
    version = "support-v4" if late and rng.random() < 0.05 else "support-v3"
    return model, version


def new_call(rng: random.Random, ts_ms: int, day: int, days: int) -> Call:
    model, version = pick_model(rng, day, days)
    user = f"u_{1000 + int(N_USERS * rng.random() ** 1.6)}"  # a few heavy users, a long tail
    ids = {"request_id": "req_" + hexid(rng, 24), "log_id": "log_" + hexid(rng, 24),
           "completion_id": "chatcmpl-" + hexid(rng, 24), "trace_id": hexid(rng, 32),
           "span_id": hexid(rng, 16)}
    call = Call(ts_ms=ts_ms, day=day, fmt=pick(rng, FORMATS), model=model, prompt_version=version,
                user_id=user, ids=ids)
    call.sub_ms_ns = (rng.randrange(1_000_000), rng.randrange(1_000_000))
    return call


def set_question(rng: random.Random, call: Call, qa: kb.QA | None) -> None:
    if qa is None:
        call.question = rng.choice(kb.OFF_TOPIC_QUESTIONS)
        call.guardrails.append("off_topic")
        return
    call.qid, call.doc_id = qa.qid, qa.doc_id
    call.question = vary(rng, rng.choice(qa.phrasings))
    if rng.random() < PII_RATE:
        call.question, found = add_pii(rng, call.question)
        call.pii.append(found)
    if rng.random() < INJECTION_RATE:
        call.question = rng.choice(kb.INJECTION_PREFIXES) + call.question
        call.guardrails.append("prompt_injection")


def echo_pii(rng: random.Random, call: Call) -> None:
    answered = call.response is not None and call.finish_reason == "stop" and call.label != "refusal"
    if call.pii and answered and rng.random() < PII_ECHO_RATE:
        call.response = f"Thanks, I've noted {call.pii[0][1]}. {call.response}"
        call.guardrails.append("pii_in_output")


def measure(rng: random.Random, call: Call) -> None:
    """Tokens, latency and cost-relevant fields, consistent with the texts."""
    call.input_tokens = tokens(system_prompt(call)) + tokens(user_content(call))
    if call.response is not None:
        call.output_tokens = min(MAX_TOKENS, tokens(call.response))
    if call.error == "timeout":
        call.latency_ms = TIMEOUT_MS
    elif call.error == "rate_limit":
        call.latency_ms = round(rng.lognormvariate(math.log(120), 0.4))
    elif call.error == "server":
        call.latency_ms = round(rng.lognormvariate(math.log(700), 0.5))
    else:
        slow = 2.5 if call.finish_reason == "length" else 1.0
        call.latency_ms = min(29_000, max(150, round(slow * rng.lognormvariate(math.log(900), 0.732))))


def give_feedback(rng: random.Random, call: Call) -> None:
    down, up = FEEDBACK[call.label]
    r = rng.random()
    call.feedback = -1 if r < down else 1 if r < down + up else None


def make_call(rng: random.Random, ts_ms: int, day: int, days: int, popularity: tuple[list, list]) -> Call:
    call = new_call(rng, ts_ms, day, days)
    outcome = pick(rng, OUTCOME_RATES, rest="ok")
    qa = None if outcome == "off_topic" else rng.choices(popularity[0], weights=popularity[1])[0]
    set_question(rng, call, qa)
    call.context = retrieve(rng, call.doc_id)
    call.label = "refusal" if outcome == "off_topic" else outcome
    if outcome == "error":
        call.error = pick(rng, ERROR_KINDS)
    answer(rng, call, qa)
    echo_pii(rng, call)
    measure(rng, call)
    give_feedback(rng, call)
    return call


def day_counts(rng: random.Random, days: int, calls: int) -> list[int]:
    weights = [rng.uniform(0.9, 1.1) for _ in range(days)]
    counts = [int(calls * w / sum(weights)) for w in weights]
    counts[-1] += calls - sum(counts)
    return counts


def timestamps(rng: random.Random, days: int, calls: int) -> list[tuple[int, int]]:
    """(ts_ms, day) for every call, sorted, following a daily traffic curve (UTC)."""
    out: list[tuple[int, int]] = []
    for day, n in enumerate(day_counts(rng, days, calls)):
        hours = rng.choices(range(24), weights=HOURLY, k=n)
        base = day_start_ms(day)
        out += sorted((base + h * 3_600_000 + rng.randrange(3_600_000), day) for h in hours)
    return out


def check_kb() -> None:
    """Every article has questions; every question can be hallucinated (a number or a written lie)."""
    for a in kb.ARTICLES:
        assert any(qa.doc_id == a.doc_id for qa in kb.QAS), a.doc_id
    for qa in kb.QAS:
        assert qa.doc_id in ARTICLES and (numbers_in(qa.answer) - {"429"} or qa.hallucinations), qa.qid


def generate(seed: int, days: int, calls: int) -> list[Call]:
    check_kb()
    rng = random.Random(seed)
    popularity = qa_weights(rng)
    return [make_call(rng, ts, day, days, popularity) for ts, day in timestamps(rng, days, calls)]


# --- format (a): logging wrapper -----------------------------------------------------------------


def wrapper_record(call: Call) -> dict[str, object]:
    ok = call.error is None
    return {
        "ts": iso(call.ts_ms), "request_id": call.ids["request_id"], "app": APP, "model": call.model,
        "prompt_version": call.prompt_version, "prompt": full_prompt(call), "question": call.question,
        "context": [ARTICLES[d].text for d in call.context], "response": call.response,
        "input_tokens": call.input_tokens, "output_tokens": call.output_tokens,
        "est_cost_usd": cost_usd(call.model, call.input_tokens, call.output_tokens or 0) if ok else 0.0,
        "latency_ms": call.latency_ms, "ok": ok,
        "error": WRAPPER_ERRORS[call.error] if call.error else None,
        "feedback": call.feedback, "guardrails": call.guardrails, "user_id": call.user_id,
    }


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False)


def retry_line(noise: random.Random) -> str:
    wait = noise.uniform(0.4, 0.95)
    return f"WARNING:openai._base_client:Retrying request to /chat/completions in {wait:.6f} seconds"


def httpx_line(status: str) -> str:
    return f'INFO:httpx:HTTP Request: POST https://api.openai.com/v1/chat/completions "HTTP/1.1 {status}"'


def logging_lines(noise: random.Random, call: Call) -> list[str]:
    """The `llm_calls` record of one call, with the other loggers' lines around it."""
    lines = []
    if noise.random() < 0.3:
        size = noise.randint(900, 6000)
        lines.append(f'DEBUG:urllib3.connectionpool:http://kb-search.internal:9200 "POST /articles/_search '
                     f'HTTP/1.1" 200 {size}')
    if call.error in HTTP_STATUS:
        lines += [httpx_line(HTTP_STATUS[call.error]), retry_line(noise), httpx_line(HTTP_STATUS[call.error])]
    elif call.error == "timeout":
        lines.append(retry_line(noise))
    else:
        if noise.random() < 0.03:
            lines += [httpx_line(HTTP_STATUS["rate_limit"]), retry_line(noise)]
        lines.append(httpx_line("200 OK"))
    lines.append("INFO:llm_calls:" + dumps(wrapper_record(call)))
    if call.guardrails:
        lines.append(f"WARNING:helpdesk.guardrails:flagged {','.join(call.guardrails)} on "
                     f"{call.ids['request_id']}")
    if noise.random() < 0.01:
        lines.append("")
    return lines


def wrapper_files(days: int) -> dict[int, str]:
    """File name per day: one day via `logging`, the day before it gzipped, the rest plain JSONL."""
    logging_day = days // 2
    names = {day: f"logs/wrapper-{day_name(day)}.jsonl" for day in range(days)}
    names[logging_day] = f"logs/wrapper-logging-{day_name(logging_day)}.log"
    if logging_day >= 1:
        names[logging_day - 1] += ".gz"
    return names


# --- format (b): OpenAI-style request logs -------------------------------------------------------


def openai_record(call: Call) -> dict[str, object]:
    response = None
    if call.response is not None and call.output_tokens is not None:
        usage = {"prompt_tokens": call.input_tokens, "completion_tokens": call.output_tokens,
                 "total_tokens": call.input_tokens + call.output_tokens}
        response = {"id": call.ids["completion_id"], "object": "chat.completion",
                    "created": call.ts_ms // 1000, "model": RESPONSE_MODELS[call.model],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": call.response},
                                 "finish_reason": call.finish_reason}],
                    "usage": usage}
    error = None
    if call.error:
        error = dict(OPENAI_ERRORS[call.error])
        error["message"] = str(error["message"]).format(model=call.model)
    messages = [{"role": "system", "content": system_prompt(call)},
                {"role": "user", "content": user_content(call)}]
    return {
        "id": call.ids["log_id"], "created_at": iso(call.ts_ms),
        "request": {"model": call.model, "messages": messages, "temperature": TEMPERATURE,
                    "max_tokens": MAX_TOKENS},
        "response": response, "latency_ms": call.latency_ms, "error": error,
        "metadata": {"app": APP, "prompt_version": call.prompt_version, "feedback": call.feedback,
                     "guardrails": call.guardrails, "user_id": call.user_id},
    }


# --- format (c): OTLP/JSON GenAI spans -----------------------------------------------------------


def attr(key: str, value: object) -> dict[str, object]:
    if isinstance(value, bool) or not isinstance(value, int | float | list):
        return {"key": key, "value": {"stringValue": str(value)}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"arrayValue": {"values": [{"stringValue": str(v)} for v in value]}}}


def compact(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def span_times(call: Call) -> tuple[int, int]:
    start = call.ts_ms * 1_000_000 + call.sub_ms_ns[0]
    return start, start + call.latency_ms * 1_000_000 + call.sub_ms_ns[1]


def message_attrs(call: Call) -> list[dict[str, object]]:
    """New convention: the whole conversation as JSON strings on the span."""
    inputs = [{"role": "system", "parts": [{"type": "text", "content": system_prompt(call)}]},
              {"role": "user", "parts": [{"type": "text", "content": user_content(call)}]}]
    attrs = [attr("gen_ai.input.messages", compact(inputs))]
    if call.response is not None:
        outputs = [{"role": "assistant", "parts": [{"type": "text", "content": call.response}],
                    "finish_reason": call.finish_reason}]
        attrs.append(attr("gen_ai.output.messages", compact(outputs)))
    return attrs


def message_events(call: Call) -> list[dict[str, object]]:
    """Older convention: the user message and the choice as span events."""
    start, end = span_times(call)
    events: list[dict[str, object]] = [{"timeUnixNano": str(start), "name": "gen_ai.user.message",
                                        "attributes": [attr("content", user_content(call))]}]
    if call.response is not None:
        events.append({"timeUnixNano": str(end), "name": "gen_ai.choice",
                       "attributes": [attr("message.content", call.response),
                                      attr("finish_reason", call.finish_reason)]})
    return events


def response_attrs(call: Call) -> list[dict[str, object]]:
    if call.response is None or call.output_tokens is None:
        return []
    return [attr("gen_ai.response.model", RESPONSE_MODELS[call.model]),
            attr("gen_ai.response.id", call.ids["completion_id"]),
            attr("gen_ai.usage.input_tokens", call.input_tokens),
            attr("gen_ai.usage.output_tokens", call.output_tokens),
            attr("gen_ai.response.finish_reasons", [call.finish_reason])]


def app_attrs(call: Call) -> list[dict[str, object]]:
    attrs = [attr("app.prompt_version", call.prompt_version)]
    if call.feedback is not None:
        attrs.append(attr("app.feedback", call.feedback))
    if call.guardrails:
        attrs.append(attr("app.guardrail_flags", call.guardrails))
    attrs.append(attr("enduser.id", call.user_id))
    if call.error:
        attrs.append(attr("error.type", OTEL_ERRORS[call.error][0]))
    return attrs


def otel_span(call: Call, old: bool) -> dict[str, object]:
    start, end = span_times(call)
    attrs = [attr("gen_ai.operation.name", "chat"),
             attr("gen_ai.system" if old else "gen_ai.provider.name", "openai"),
             attr("gen_ai.request.model", call.model), attr("gen_ai.request.temperature", TEMPERATURE),
             attr("gen_ai.request.max_tokens", MAX_TOKENS), attr("server.address", "api.openai.com")]
    attrs += response_attrs(call) + ([] if old else message_attrs(call)) + app_attrs(call)
    span: dict[str, object] = {"traceId": call.ids["trace_id"], "spanId": call.ids["span_id"],
                               "name": f"chat {call.model}", "kind": 3, "startTimeUnixNano": str(start),
                               "endTimeUnixNano": str(end), "attributes": attrs}
    if old:
        span["events"] = message_events(call)
    span["status"] = {"code": 2, "message": OTEL_ERRORS[call.error][1]} if call.error else {}
    return span


def otel_request(calls: Sequence[Call], old: bool) -> dict[str, object]:
    scope = {"name": "opentelemetry.instrumentation.openai_v2", "version": "2.0b0" if old else "2.1b0"}
    resource = {"attributes": [attr("service.name", APP)]}
    spans = [otel_span(c, old) for c in calls]
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": scope, "spans": spans}]}]}


def otel_batches(noise: random.Random, calls: Sequence[Call]) -> list[tuple[list[Call], bool]]:
    """Consecutive spans in export batches of 1-20; a third of the batches use the older convention."""
    batches, i = [], 0
    while i < len(calls):
        size = noise.randint(1, 20)
        batches.append((list(calls[i:i + size]), noise.random() < 1 / 3))
        i += size
    return batches


# --- writing -------------------------------------------------------------------------------------


def write_lines(path: Path, lines: Iterable[str], gz: bool = False) -> None:
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0) if gz else data)


def truth_row(source: str, source_id: str, call: Call) -> dict[str, object]:
    return {"source_file": source, "source_id": source_id, "label": call.label, "doc_id": call.doc_id,
            "question_id": call.qid, "pii": [kind for kind, _ in call.pii]}


def write_wrappers(out: Path, calls: Sequence[Call], days: int, seed: int) -> list[dict[str, object]]:
    noise = random.Random(f"{seed}:logging")
    truth = []
    for day, name in wrapper_files(days).items():
        day_calls = [c for c in calls if c.fmt == "wrapper" and c.day == day]
        if name.endswith(".log"):
            lines = [line for c in day_calls for line in logging_lines(noise, c)]
        else:
            lines = [dumps(wrapper_record(c)) for c in day_calls]
        write_lines(out / name, lines, gz=name.endswith(".gz"))
        truth += [truth_row(name, c.ids["request_id"], c) for c in day_calls]
    return truth


def write_openai(out: Path, calls: Sequence[Call]) -> list[dict[str, object]]:
    name = "logs/openai-requests.jsonl"
    chosen = [c for c in calls if c.fmt == "openai"]
    write_lines(out / name, (dumps(openai_record(c)) for c in chosen))
    return [truth_row(name, c.ids["log_id"], c) for c in chosen]


def write_otel(out: Path, calls: Sequence[Call], seed: int) -> tuple[list[dict[str, object]], Counter[str]]:
    name = "logs/otel-spans.jsonl"
    batches = otel_batches(random.Random(f"{seed}:otlp"), [c for c in calls if c.fmt == "otel"])
    write_lines(out / name, (compact(otel_request(b, old)) for b, old in batches))
    conventions = Counter({"old (events)": sum(len(b) for b, old in batches if old),
                           "new (messages attributes)": sum(len(b) for b, old in batches if not old)})
    return [truth_row(name, c.ids["span_id"], c) for b, _ in batches for c in b], conventions


def write_kb(out: Path) -> None:
    rows = ({"doc_id": a.doc_id, "title": a.title, "text": a.text} for a in kb.ARTICLES)
    write_lines(out / "kb/articles.jsonl", (dumps(r) for r in rows))


def clean_logs(out: Path) -> None:
    """Remove this generator's own earlier log files (another --days may have named other days)."""
    for pattern in ("wrapper-*.jsonl", "wrapper-*.jsonl.gz", "wrapper-logging-*.log"):
        for path in (out / "logs").glob(pattern):
            path.unlink()


def write_all(out: Path, calls: Sequence[Call], days: int, seed: int) -> Counter[str]:
    clean_logs(out)
    write_kb(out)
    truth = write_wrappers(out, calls, days, seed) + write_openai(out, calls)
    otel_truth, conventions = write_otel(out, calls, seed)
    by_id = {row["source_id"]: row for row in truth + otel_truth}
    order = [c.ids["span_id"] if c.fmt == "otel" else c.ids["request_id" if c.fmt == "wrapper" else "log_id"]
             for c in calls]
    write_lines(out / "truth.jsonl", (dumps(by_id[i]) for i in order))
    return conventions


# --- summary -------------------------------------------------------------------------------------


def rate_line(name: str, count: int, total: int) -> str:
    return f"| {name} | {count} | {100 * count / total:.1f}% |"


def summary(calls: Sequence[Call], conventions: Counter[str], seed: int, days: int) -> str:
    """The figures pasted into README.md: counts and rates actually produced."""
    n = len(calls)
    labels = Counter(c.label for c in calls)
    flags = Counter(f for c in calls for f in c.guardrails)
    pii = Counter(kind for c in calls for kind, _ in c.pii)
    hot = [c.question for c in calls if c.qid == kb.HOT_QID]
    ok_latency = [c.latency_ms for c in calls if c.error is None]
    rows = [f"seed {seed}, {days} days from {day_name(0)}, {n} calls", "", "| measure | count | rate |",
            "|---|---|---|"]
    rows += [rate_line(f"format {f}", sum(c.fmt == f for c in calls), n) for f, _ in FORMATS]
    rows += [rate_line(f"label {lb}", labels[lb], n)
             for lb in ("ok", "hallucination", "wrong_fact", "refusal", "error")]
    rows += [rate_line(f"error {k}", sum(c.error == k for c in calls), n) for k, _ in ERROR_KINDS]
    rows += [rate_line("feedback -1", sum(c.feedback == -1 for c in calls), n),
             rate_line("feedback +1", sum(c.feedback == 1 for c in calls), n),
             rate_line("guardrails (any flag)", sum(bool(c.guardrails) for c in calls), n)]
    rows += [rate_line(f"guardrail {f}", flags[f], n) for f in sorted(flags)]
    rows += [rate_line("PII in question (any)", sum(bool(c.pii) for c in calls), n)]
    rows += [rate_line(f"PII {k}", pii[k], n) for k, _ in PII_KINDS]
    rows += [rate_line("finish_reason length", sum(c.finish_reason == "length" for c in calls), n)]
    rows += [rate_line(f"model {m}", sum(c.model == m for c in calls), n) for m in PRICES]
    rows += [rate_line(f"prompt_version {v}", sum(c.prompt_version == v for c in calls), n)
             for v in SYSTEM_PROMPTS]
    otel_n = sum(conventions.values())
    rows += [rate_line(f"OTLP spans, {k}", conventions[k], otel_n) for k in sorted(conventions)]
    rows += ["", (f"- latency of answered calls: p50 {percentile(ok_latency, 0.5)} ms, "
             f"p95 {percentile(ok_latency, 0.95)} ms; timeouts at {TIMEOUT_MS} ms"),
             (f"- near-duplicate question `{kb.HOT_QID}`: asked {len(hot)} times, {len(set(hot))} distinct "
             "texts"), f"- distinct users: {len({c.user_id for c in calls})}"]
    return "\n".join(rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args(argv)
    if args.days < 1 or args.calls < args.days:
        parser.error("need --days >= 1 and --calls >= --days")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    calls = generate(args.seed, args.days, args.calls)
    conventions = write_all(args.out, calls, args.days, args.seed)
    print(summary(calls, conventions, args.seed, args.days))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
