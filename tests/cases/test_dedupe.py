"""Near-duplicate grouping: paraphrases with different PII group together, different questions do not."""

from __future__ import annotations

import pytest

from paritylab.cases.dedupe import group_sizes, group_texts
from paritylab.cases.normalize import case_id_for
from paritylab.errors import ConfigError
from paritylab.sim.embeddings import hashed_embedding

SAME = [
    "Can I get a refund for my annual plan? My email is [EMAIL].",
    "Hi, can I get a refund for my annual plan? Call me on [PHONE] if that's easier.",
    "can i get a refund for my annual plan?? The card [CARD] was charged.",
    "Our IBAN is [IBAN]. Quick question: can I get a refund for my annual plan? thx",
]
DIFFERENT = [
    "Can I get a refund on a monthly plan?",
    "How long does the export link last?",
    "What is the API rate limit on the Business plan?",
    "How many projects can I have on the Free plan?",
]


@pytest.mark.parametrize("method", ["minhash", "tfidf"])
def test_paraphrases_with_different_pii_group_together_and_different_questions_do_not(method: str) -> None:
    threshold = {"minhash": 0.6, "tfidf": 0.8}[method]
    labels = group_texts(SAME + DIFFERENT, method, threshold)
    assert labels[: len(SAME)] == [0] * len(SAME)
    assert labels[len(SAME) :] == [4, 5, 6, 7]  # each different question is its own group
    assert group_sizes(labels) == [4, 1, 1, 1, 1]


def test_embedding_option_takes_any_offline_embedder() -> None:
    # The sim's lexical hashed embeddings stand in for a neural model (which needs the optional extra).
    def embed(texts: list[str]) -> list[list[float]]:
        return [hashed_embedding(t) for t in texts]

    texts = ["Where can I download old invoices?", "where can i download old invoices", *DIFFERENT]
    assert group_texts(texts, "embedding", 0.85, embed) == [0, 0, 2, 3, 4, 5]


def test_case_id_ignores_which_pii_a_user_gave_but_not_the_question() -> None:
    a = case_id_for("My email is [EMAIL]. Can I get a refund?")
    assert a == case_id_for("my email is [PHONE]... can I get a refund")
    assert a != case_id_for("My email is [EMAIL]. Can I get a discount?")


def test_grouping_is_deterministic_and_scales_with_distinct_texts() -> None:
    texts = [f"{q} {'thanks!' * (i % 3)}" for i, q in enumerate((SAME + DIFFERENT) * 50)]
    first = group_texts(texts, "minhash", 0.6)
    assert first == group_texts(texts, "minhash", 0.6)
    assert group_sizes(first) == [200, 50, 50, 50, 50]


def test_unknown_method_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown dedupe method"):
        group_texts(["a"], "soundex", 0.5)
