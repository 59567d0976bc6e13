"""Tests for paritylab.sim: the simulated model, profiles, fault plans, text helpers, embeddings, wire."""

from __future__ import annotations

import json
import math
import random
import statistics
from collections import Counter

import pytest

from paritylab.errors import ConfigError
from paritylab.providers.base import ChatRequest, Message
from paritylab.sim.embeddings import DIMENSIONS, hashed_embedding
from paritylab.sim.faults import OUTCOMES, FaultPlan
from paritylab.sim.model import (
    FABRICATIONS,
    NO_CONTEXT_ANSWER,
    REFUSALS,
    SimModel,
    parse_prompt,
    rank_sentences,
)
from paritylab.sim.profiles import PROFILES, FaultRates, get_profile, profile_for_model
from paritylab.sim.text import content_words, count_tokens, sentences, words
from paritylab.sim.wire import (
    WireError,
    anthropic_request,
    anthropic_response,
    openai_request,
    openai_response,
)

CONTEXT = (
    "Refunds are processed within five business days of the return arriving at our warehouse. "
    "Standard shipping is free on orders over fifty dollars. "
    "Express shipping costs twelve dollars and arrives the next business day. "
    "Customer support is available by chat from nine to five on weekdays. "
    "Passwords can be reset from the account settings page. "
    "Gift cards never expire and cannot be exchanged for cash. "
    "Orders can be cancelled free of charge until they leave the warehouse. "
    "Damaged items must be reported within thirty days with a photo."
)
CONTEXT_SENTENCES = sentences(CONTEXT)
TOPICS = [
    "refunds",
    "shipping",
    "express shipping",
    "support",
    "passwords",
    "gift cards",
    "cancelled orders",
    "damaged items",
]


def prompt(question: str, context: str = CONTEXT) -> str:
    return f"<context>\n{context}\n</context>\n<question>{question}</question>"


def questions(n: int) -> list[str]:
    return [f"What is the rule for {TOPICS[i % len(TOPICS)]} in case number {i}?" for i in range(n)]


def grounded_share(profile: str, n: int = 200) -> float:
    """Share of answers whose every sentence is copied from the context."""
    model = SimModel(get_profile(profile))
    grounded = 0
    for q in questions(n):
        text = model.respond(ChatRequest.user(prompt(q))).text
        parts = sentences(text)
        grounded += bool(parts) and all(s in CONTEXT for s in parts)
    return grounded / n


# --- SimModel --------------------------------------------------------------------------------------


def test_respond_is_deterministic() -> None:
    request = ChatRequest.user(prompt("How long do refunds take?"), temperature=0.3)
    first = SimModel(get_profile("good")).respond(request)
    second = SimModel(get_profile("good")).respond(request)
    assert first == second
    assert first.text
    assert first.input_tokens > 0 and first.output_tokens > 0 and first.latency_ms > 0
    # an equal but separately built request gives the same reply
    rebuilt = ChatRequest(messages=(Message("user", prompt("How long do refunds take?")),), temperature=0.3)
    assert SimModel(get_profile("good")).respond(rebuilt) == first


def test_request_key_depends_on_profile_and_request() -> None:
    request = ChatRequest.user(prompt("How long do refunds take?"))
    good, weak = SimModel(get_profile("good")), SimModel(get_profile("weak"))
    assert good.request_key(request) == good.request_key(request)
    assert good.request_key(request) != weak.request_key(request)
    assert good.request_key(request) != good.request_key(ChatRequest.user(prompt("Shipping?")))


def test_profiles_differ_in_aggregate() -> None:
    reqs = [ChatRequest.user(prompt(q)) for q in questions(200)]
    good, weak = SimModel(get_profile("good")), SimModel(get_profile("weak"))
    good_replies = [good.respond(r) for r in reqs]
    weak_replies = [weak.respond(r) for r in reqs]
    assert sum(a.text != b.text for a, b in zip(good_replies, weak_replies, strict=True)) >= 20
    assert statistics.median(r.latency_ms for r in good_replies) > statistics.median(
        r.latency_ms for r in weak_replies
    )
    fabricated = [
        sum(any(f in r.text for f in FABRICATIONS) for r in rs) for rs in (good_replies, weak_replies)
    ]
    assert fabricated[0] < fabricated[1]


def test_good_profile_answers_from_context_weak_less_so() -> None:
    good = grounded_share("good")
    weak = grounded_share("weak")
    assert good >= 0.9
    assert weak <= 0.85
    assert good - weak >= 0.1


def test_good_profile_usually_picks_the_best_matching_sentence() -> None:
    model = SimModel(get_profile("good"))
    hits = 0
    for i in range(100):
        q = f"Do gift cards expire, question {i}?"
        hits += "Gift cards never expire" in model.respond(ChatRequest.user(prompt(q))).text
    assert hits >= 85


def test_refusals_come_from_refusal_list() -> None:
    model = SimModel(get_profile("weak"))
    texts = [model.respond(ChatRequest.user(prompt(q))).text for q in questions(300)]
    refusals = [t for t in texts if t in REFUSALS]
    assert 0 < len(refusals) < 60  # weak refuses ~5%


@pytest.mark.parametrize(
    "text",
    [
        "Just a question with no context at all?",
        "<question>Where is my order?</question>",
        prompt("Hi?", "  "),
    ],
)
def test_no_context_gives_no_context_answer(text: str) -> None:
    reply = SimModel(get_profile("good")).respond(ChatRequest.user(text))
    assert reply.text == NO_CONTEXT_ANSWER
    assert reply.stop_reason == "stop"


def test_heading_style_prompt_is_parsed() -> None:
    question, context = parse_prompt("Context: Gift cards never expire.\nQuestion: Do gift cards expire?")
    assert (question, context) == ("Do gift cards expire?", "Gift cards never expire.")
    assert parse_prompt(prompt("Q?", "C.")) == ("Q?", "C.")
    assert parse_prompt("plain text") == ("plain text", "")


def test_rank_sentences_puts_best_overlap_first() -> None:
    ranked = rank_sentences("How do I reset my password from settings?", CONTEXT)
    assert ranked[0] == "Passwords can be reset from the account settings page."
    # no overlap at all: fall back to the first sentence
    assert rank_sentences("xyzzy plugh", CONTEXT) == [CONTEXT_SENTENCES[0]]


def test_max_tokens_truncates_with_length_stop_reason() -> None:
    model = SimModel(get_profile("good"))
    request = ChatRequest.user(prompt("How does express shipping work?"), max_tokens=5)
    full = model.respond(ChatRequest.user(prompt("How does express shipping work?"), max_tokens=512))
    short = model.respond(request)
    assert full.stop_reason == "stop"
    assert short.stop_reason == "length"
    assert short.output_tokens < full.output_tokens
    assert full.text.startswith(short.text)


def test_truncated_reply_never_exceeds_max_tokens() -> None:
    context = "The 24/7 hot-line e-mail is x-y-z@example.com today."
    request = ChatRequest.user(prompt("What is the hot-line e-mail?", context), max_tokens=4)
    reply = SimModel(get_profile("good")).respond(request)
    assert reply.stop_reason == "length"
    assert reply.output_tokens <= 4


def test_stop_sequence_cuts_text() -> None:
    model = SimModel(get_profile("good"))
    q = "Do gift cards expire?"
    full = model.respond(ChatRequest.user(prompt(q))).text
    assert "expire" in full
    cut = model.respond(ChatRequest.user(prompt(q), stop=("expire",)))
    assert cut.stop_reason == "stop"
    assert "expire" not in cut.text
    assert full.startswith(cut.text)


def test_json_response_format_is_valid_json() -> None:
    model = SimModel(get_profile("good"))
    for q in questions(20):
        reply = model.respond(ChatRequest.user(prompt(q), response_format="json"))
        body = json.loads(reply.text)
        assert isinstance(body, dict)
        assert isinstance(body["answer"], str)
        assert body["answer"]
    assert json.loads(model.respond(ChatRequest.user("no context", response_format="json")).text) == {
        "answer": NO_CONTEXT_ANSWER
    }


def test_token_counts_follow_text() -> None:
    request = ChatRequest(messages=(Message("user", prompt("Refunds?")),), system="Be brief.")
    reply = SimModel(get_profile("good")).respond(request)
    assert reply.output_tokens == count_tokens(reply.text)
    assert reply.input_tokens == count_tokens("Be brief. " + prompt("Refunds?"))


@pytest.mark.parametrize("name", ["good", "weak", "slightly-worse"])
def test_latency_is_lognormal_with_profile_median_and_p95(name: str) -> None:
    profile = get_profile(name)
    model = SimModel(profile)
    rng = random.Random(1234)
    samples = sorted(model.latency_ms(rng) for _ in range(2000))
    median = statistics.median(samples)
    p95 = samples[int(0.95 * len(samples))]
    assert median == pytest.approx(profile.latency_median_ms, rel=0.1)
    assert p95 == pytest.approx(profile.latency_p95_ms, rel=0.15)
    assert all(s > 0 for s in samples)
    logs = [math.log(s) for s in samples]
    assert abs(statistics.mean(logs) - statistics.median(logs)) < 0.05  # symmetric in log space


def test_latency_of_respond_matches_profile() -> None:
    profile = get_profile("good")
    model = SimModel(profile)
    lat = sorted(model.respond(ChatRequest.user(f"ping {i}")).latency_ms for i in range(2000))
    assert statistics.median(lat) == pytest.approx(profile.latency_median_ms, rel=0.1)
    assert lat[int(0.95 * len(lat))] == pytest.approx(profile.latency_p95_ms, rel=0.15)


def test_fixed_latency_when_p95_equals_median() -> None:
    model = SimModel(get_profile("good").with_latency(100.0))
    rng = random.Random(0)
    assert {model.latency_ms(rng) for _ in range(20)} == {100.0}


# --- profiles --------------------------------------------------------------------------------------


def test_profile_lookup() -> None:
    assert get_profile(None).name == "good"
    assert get_profile("weak") is PROFILES["weak"]
    with pytest.raises(ConfigError) as info:
        get_profile("excellent")
    assert "excellent" in str(info.value)
    assert "weak" in str(info.value)  # lists the known ones
    assert profile_for_model("sim-weak").name == "weak"
    assert profile_for_model("weak").name == "weak"
    assert profile_for_model("gpt-4o").name == "good"


def test_profile_copies() -> None:
    good = get_profile("good")
    faster = good.with_latency(10.0, 20.0)
    assert (faster.latency_median_ms, faster.latency_p95_ms) == (10.0, 20.0)
    assert good.latency_median_ms == 350  # original unchanged
    rates = FaultRates(rate_limit=0.5)
    assert good.with_faults(rates).faults == rates
    assert good.faults.total() == 0.0
    assert PROFILES["flaky"].faults.total() == pytest.approx(0.27)


# --- FaultPlan -------------------------------------------------------------------------------------


def test_scripted_outcomes_come_first_in_order() -> None:
    plan = FaultPlan(FaultRates())  # rates would always say ok
    plan.script("rate_limit", "server_error")
    plan.script("timeout", "malformed")
    got = [plan.decide(key, FaultRates()) for key in ("a", "b", "a", "c")]
    assert got == ["rate_limit", "server_error", "timeout", "malformed"]
    assert [plan.decide(k, FaultRates()) for k in ("a", "b", "c")] == ["ok", "ok", "ok"]


def test_scripted_outcomes_beat_rates_and_reset_clears_them() -> None:
    always_fail = FaultRates(server_error=1.0)
    plan = FaultPlan()
    plan.script("ok", "ok")
    plan.reset()
    assert plan.decide("k", always_fail) == "server_error"
    plan.script("ok")
    assert plan.decide("k", always_fail) == "ok"
    assert plan.decide("k", always_fail) == "server_error"


def test_rates_produce_configured_shares() -> None:
    rates = FaultRates(rate_limit=0.2, server_error=0.05, timeout=0.02, malformed=0.03)
    plan = FaultPlan(seed=7)
    counts = Counter(plan.decide(f"req-{i}", rates) for i in range(10_000))
    assert set(counts) <= set(OUTCOMES)
    expected = {"rate_limit": 0.2, "server_error": 0.05, "timeout": 0.02, "malformed": 0.03, "ok": 0.7}
    for outcome, share in expected.items():
        assert counts[outcome] / 10_000 == pytest.approx(share, abs=0.015), outcome


def test_plan_rates_override_passed_rates() -> None:
    plan = FaultPlan(FaultRates(timeout=1.0))
    assert {plan.decide(f"k{i}", FaultRates()) for i in range(50)} == {"timeout"}


def test_same_key_and_occurrence_decide_the_same() -> None:
    rates = FaultRates(rate_limit=0.3, server_error=0.2)
    keys = [f"req-{i % 50}" for i in range(500)]  # every key seen 10 times
    a, b = FaultPlan(seed=3), FaultPlan(seed=3)
    seq_a = [a.decide(k, rates) for k in keys]
    seq_b = [b.decide(k, rates) for k in keys]
    assert seq_a == seq_b
    # the order in which different requests arrive does not matter, only each request's occurrence
    c = FaultPlan(seed=3)
    by_key: dict[str, list[str]] = {}
    for k in reversed(keys):
        by_key.setdefault(k, []).append(c.decide(k, rates))
    expected: dict[str, list[str]] = {}
    for k, outcome in zip(keys, seq_a, strict=True):
        expected.setdefault(k, []).append(outcome)
    assert by_key == expected
    # a retry of the same request is a new occurrence and can have another outcome
    assert any(len(set(outcomes)) > 1 for outcomes in expected.values())
    # reset replays from the first occurrence
    a.reset()
    assert [a.decide(k, rates) for k in keys] == seq_a


def test_different_seed_gives_different_decisions() -> None:
    rates = FaultRates(rate_limit=0.5)
    keys = [f"req-{i}" for i in range(200)]
    assert [FaultPlan(seed=1).decide(k, rates) for k in keys] != [
        FaultPlan(seed=2).decide(k, rates) for k in keys
    ]


# --- text helpers ----------------------------------------------------------------------------------


def test_text_helpers() -> None:
    assert words("Don't PANIC, it's 42!") == ["don't", "panic", "it's", "42"]
    assert content_words("What is the refund policy for a TV?") == {"refund", "policy", "tv"}
    assert count_tokens("Hello, world!") == 4
    assert sentences("One. Two!\n\n- Three? four.") == ["One.", "Two!", "Three? four."]
    assert len(CONTEXT_SENTENCES) == 8


# --- embeddings ------------------------------------------------------------------------------------


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_hashed_embedding_is_unit_length_and_deterministic() -> None:
    for text in ["How do I reset my password?", "x", CONTEXT]:
        vec = hashed_embedding(text)
        assert len(vec) == DIMENSIONS
        assert math.sqrt(sum(v * v for v in vec)) == pytest.approx(1.0)
        assert hashed_embedding(text) == vec
    assert len(hashed_embedding("abc", dims=32)) == 32


def test_hashed_embedding_similarity_ranks_paraphrases_higher() -> None:
    a = hashed_embedding("How do I reset my account password?")
    paraphrase = hashed_embedding("How can I reset the password for my account?")
    unrelated = hashed_embedding("Express shipping costs twelve dollars and arrives tomorrow.")
    assert cosine(a, a) == pytest.approx(1.0)
    assert cosine(a, paraphrase) > 0.4
    assert cosine(a, paraphrase) > cosine(a, unrelated) + 0.3
    # case and punctuation do not matter to the lexical features
    assert hashed_embedding("Reset PASSWORD!") == hashed_embedding("reset password")


# --- wire ------------------------------------------------------------------------------------------


def test_openai_request_translation() -> None:
    req = openai_request(
        {
            "model": "sim-good",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": "Use the context."},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}],
                },
                {"role": "assistant", "content": "Hi."},
                {"role": "user", "content": "Refunds?"},
            ],
            "max_tokens": 64,
            "temperature": 0.2,
            "top_p": 0.9,
            "seed": 7,
            "stop": "END",
            "response_format": {"type": "json_object"},
        }
    )
    assert req.system == "Be brief.\nUse the context."
    assert req.messages == (
        Message("user", "Hello there"),
        Message("assistant", "Hi."),
        Message("user", "Refunds?"),
    )
    assert (req.max_tokens, req.temperature, req.top_p, req.seed) == (64, 0.2, 0.9, 7)
    assert req.stop == ("END",)
    assert req.response_format == "json"


def test_openai_request_defaults_and_variants() -> None:
    minimal = openai_request({"messages": [{"role": "user", "content": "hi"}]})
    assert minimal == ChatRequest.user("hi")
    assert minimal.system is None and minimal.stop is None and minimal.response_format == "text"
    newer = openai_request(
        {
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 10,
            "max_completion_tokens": 20,
            "stop": ["a", "b"],
            "response_format": {"type": "json_schema", "json_schema": {}},
        }
    )
    assert newer.max_tokens == 20  # max_completion_tokens wins
    assert newer.stop == ("a", "b")
    assert newer.response_format == "json"
    assert (
        openai_request(
            {"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "text"}}
        ).response_format
        == "text"
    )


def test_anthropic_request_translation() -> None:
    req = anthropic_request(
        {
            "model": "sim-good",
            "system": [{"type": "text", "text": "Be brief."}],
            "messages": [{"role": "user", "content": "Refunds?"}],
            "max_tokens": 100,
            "temperature": 0.0,
            "stop_sequences": ["\n\nHuman:"],
        }
    )
    assert req.system == "Be brief."
    assert req.messages == (Message("user", "Refunds?"),)
    assert (req.max_tokens, req.temperature) == (100, 0.0)
    assert req.stop == ("\n\nHuman:",)
    plain = anthropic_request(
        {"system": "S", "messages": [{"role": "user", "content": "x"}], "max_tokens": 5}
    )
    assert plain.system == "S"
    assert plain.stop is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"messages": []},
        {"messages": "hello"},
        {"messages": [{"role": "tool", "content": "x"}]},
        {"messages": [{"role": "user", "content": 42}]},
    ],
    ids=["missing", "empty", "not-a-list", "bad-role", "bad-content"],
)
def test_openai_request_rejects_bad_bodies(body: dict[str, object]) -> None:
    with pytest.raises(WireError):
        openai_request(body)


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"role": "user", "content": "x"}]},
        {"messages": [], "max_tokens": 5},
        {
            "messages": [{"role": "system", "content": "x"}, {"role": "robot", "content": "y"}],
            "max_tokens": 5,
        },
        {"messages": [{"role": "user", "content": "x"}], "max_tokens": 5, "system": 3},
    ],
    ids=["no-max-tokens", "empty", "bad-role", "bad-system"],
)
def test_anthropic_request_rejects_bad_bodies(body: dict[str, object]) -> None:
    with pytest.raises(WireError):
        anthropic_request(body)


def test_wire_responses_round_trip_a_reply() -> None:
    model = SimModel(get_profile("good"))
    reply = model.respond(openai_request({"messages": [{"role": "user", "content": prompt("Refunds?")}]}))
    body = openai_response("sim-good", reply)
    assert body["choices"][0]["message"]["content"] == reply.text
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["total_tokens"] == reply.input_tokens + reply.output_tokens
    short = model.respond(
        anthropic_request({"messages": [{"role": "user", "content": prompt("Refunds?")}], "max_tokens": 3})
    )
    abody = anthropic_response("sim-good", short)
    assert abody["stop_reason"] == "max_tokens"
    assert abody["content"][0]["text"] == short.text
    assert abody["usage"] == {"input_tokens": short.input_tokens, "output_tokens": short.output_tokens}
