"""Question normalisation: the basis of stable case ids and of near-duplicate features.

Redaction leaves typed placeholders (`[EMAIL]`, `[CARD]`, ...). Two users asking the same thing with
different PII must land on the same case, so every placeholder becomes one neutral token for the id, and
disappears (with the words that introduce it) from the similarity features.
"""

from __future__ import annotations

import itertools
import re

from paritylab.hashing import content_hash

PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*\]")
_WORD = re.compile(r"[a-z0-9]+")
# Words that carry no meaning for "is this the same question": function words, greetings, sign-offs and
# the phrases that introduce PII ("my email is [EMAIL]"), and `pii`, the placeholder token itself.
NOISE = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being do does did
    i you he she it we they me my your our their this that these those what which who whom how when where
    why can could should would will shall may might must not no yes so than then there here about into
    any all just don now have has had am s t im ive id hi hello hey good morning afternoon evening
    thanks thank thx cheers please pls quick question help anyone also ok okay sure
    email mail phone number call reply card iban ip address connecting charged easier key api pii
    re ve ll d m
    """.split()  # noqa: SIM905
)


def normalise_question(text: str) -> str:
    """Lower-case words, PII placeholders as one token, punctuation and spacing collapsed."""
    return " ".join(_WORD.findall(PLACEHOLDER.sub(" pii ", text).lower()))


def case_id_for(question: str) -> str:
    """Stable id of a case: the hash of its normalised question (PII placeholders made equal)."""
    return "c-" + content_hash(normalise_question(question), length=16)


def content_terms(text: str) -> list[str]:
    """The meaningful words of a question, in order: no placeholders, no noise words."""
    words = _WORD.findall(PLACEHOLDER.sub(" ", text).lower())
    return [w for w in words if w not in NOISE and len(w) > 1]


def features(text: str) -> frozenset[str]:
    """Unigrams and bigrams of the content terms: bigrams add some word order, so two questions that
    share words but not phrases score lower than true paraphrases."""
    terms = content_terms(text)
    if not terms:  # a question made only of noise still needs to be compared: fall back to its words
        terms = _WORD.findall(text.lower())
    return frozenset(terms + [f"{a} {b}" for a, b in itertools.pairwise(terms)])


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
