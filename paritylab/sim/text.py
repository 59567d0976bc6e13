"""Small lexical helpers shared by the simulator (tokens, sentences, overlap)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z0-9]+(?:'[a-z]+)?")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")

STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being do does did
    i you he she it we they me my your our their this that these those what which who whom how when
    where why can could should would will shall may might must not no yes so than then there here
    about into over under again more most some any each all both few other such only own same too very
    s t just don now have has had having am""".split()  # noqa: SIM905
)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS and len(w) > 1}


def count_tokens(text: str) -> int:
    """A stand-in for a BPE tokenizer: words and punctuation marks, roughly 1.3 per English word."""
    return len(_TOKEN.findall(text))


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=[-*\d])", text):
        out += [s.strip(" -*\n\t") for s in _SENTENCE_END.split(paragraph.strip()) if s.strip(" -*\n\t")]
    return out
