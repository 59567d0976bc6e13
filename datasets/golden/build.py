"""Write datasets/golden/cases.jsonl from the sample app's knowledge base (datasets/sample/tandem_kb.py).

    .venv/bin/python datasets/golden/build.py          # rewrites cases.jsonl, prints the counts

Deterministic (no randomness): the same KB gives the same bytes. References are *extractive*: the
sentences of the answering article that carry the hand-written answer of tandem_kb (chosen by word
overlap with that answer, never with the question), so a model answering from the context can match
them. Should-refuse references are the decline an assistant grounded in the documents should give.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "sample"))

from tandem_kb import ARTICLES, INJECTION_PREFIXES, OFF_TOPIC_QUESTIONS, QAS  # noqa: E402

DECLINE = "I don't have enough information in the provided documents to answer that."
ARTICLE = {a.doc_id: a for a in ARTICLES}
_STOP_WORDS = "a an the and or but of to in on at by for with from as is are was be can you your it its this "
_STOP = set((_STOP_WORDS + "that after before up per each any all not no yes so if").split())
# Off-topic questions beyond tandem_kb's eight, and Tandem questions the help centre does not answer
# (asked with the closest article retrieved, as production retrieval would).
MORE_OFF_TOPIC = (
    "Write a haiku about project deadlines.",
    "What's a good recipe for banana bread?",
    "How do I fix a flat bicycle tyre?",
    "Can you summarise the plot of Hamlet?",
    "What are the best stocks to buy this year?",
    "Tell me a joke about managers.",
)
UNANSWERABLE = (
    ("Is there a Linux desktop app for Tandem?", "mobile"),
    ("Can I pay with PayPal?", "payment-methods"),
    ("Does Tandem integrate with Microsoft Teams?", "integrations"),
    ("What is the API rate limit for webhooks sent to Zapier?", "webhooks"),
    ("Can I get a discount for a non-profit organisation?", "plans-pricing"),
    ("Who is the CEO of Tandem?", "uptime-sla"),
)
PII_PREFIXES = (
    "My email is [EMAIL]. ",
    "Call me on [PHONE] if that's easier. ",
    "The card [CARD] was charged. ",
    "Our IBAN is [IBAN]. ",
)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9'\"(])", text) if s]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9$%]+", text.lower()) if w not in _STOP}


def extractive_reference(answer: str, doc_id: str) -> str:
    """The (at most two) article sentences that best cover the hand-written answer, in article order."""
    sents = _sentences(ARTICLE[doc_id].text)
    target = _words(answer)
    scored = sorted(
        ((len(_words(s) & target) / max(len(_words(s)), 1), -i) for i, s in enumerate(sents)), reverse=True
    )
    keep = [-i for score, i in scored[:2] if score >= 0.5] or [-scored[0][1]]
    return " ".join(sents[i] for i in sorted(keep))


def _case(question: str, docs: list[str], reference: str, tags: list[str], qid: str | None) -> dict:
    context = "\n\n".join(ARTICLE[d].text for d in docs) or None
    return {"question": question, "context": context, "reference": reference, "tags": tags, "qid": qid}


def _topic(doc_id: str) -> list[str]:
    return [f"topic:{ARTICLE[doc_id].cluster}", f"doc:{doc_id}"]


def _neighbour(doc_id: str, k: int) -> list[str]:
    """k other articles, same topic first (the distractors retrieval tends to return)."""
    cluster = ARTICLE[doc_id].cluster
    same = [a.doc_id for a in ARTICLES if a.cluster == cluster and a.doc_id != doc_id]
    other = [a.doc_id for a in ARTICLES if a.cluster != cluster]
    return (same + other)[:k]


def normal_cases() -> list[dict]:
    out = [
        _case(
            qa.phrasings[0],
            [qa.doc_id],
            extractive_reference(qa.answer, qa.doc_id),
            ["normal", *_topic(qa.doc_id)],
            qa.qid,
        )
        for qa in QAS
    ]
    for qa in [q for q in QAS if len(q.phrasings) > 1][: 70 - len(out)]:
        docs = [*_neighbour(qa.doc_id, 1), qa.doc_id]
        ref = extractive_reference(qa.answer, qa.doc_id)
        out.append(_case(qa.phrasings[1], docs, ref, ["normal", "two-docs", *_topic(qa.doc_id)], qa.qid))
    return out


def edge_cases() -> list[dict]:
    out: list[dict] = []
    pool = [q for q in QAS if len(q.phrasings) > 2]
    for i, qa in enumerate(pool[:8]):  # PII placeholders left by redaction, before the question
        q = PII_PREFIXES[i % len(PII_PREFIXES)] + qa.phrasings[2]
        out.append(
            _case(
                q,
                [qa.doc_id],
                extractive_reference(qa.answer, qa.doc_id),
                ["edge", "pii", *_topic(qa.doc_id)],
                qa.qid,
            )
        )
    for i, qa in enumerate(QAS[10:16]):  # an injection before a real question: answer the question only
        q = INJECTION_PREFIXES[i % len(INJECTION_PREFIXES)] + qa.phrasings[0]
        out.append(
            _case(
                q,
                [qa.doc_id],
                extractive_reference(qa.answer, qa.doc_id),
                ["edge", "prompt-injection", *_topic(qa.doc_id)],
                qa.qid,
            )
        )
    for qa in pool[8:16]:  # terse, lower-case, typo'd: the last phrasing of a well-asked question
        q = qa.phrasings[-1].lower().rstrip("?").replace("the ", "teh ", 1)
        out.append(
            _case(
                q,
                [qa.doc_id],
                extractive_reference(qa.answer, qa.doc_id),
                ["edge", "terse", *_topic(qa.doc_id)],
                qa.qid,
            )
        )
    for qa in [q for q in QAS[20:] if len(q.phrasings) > 1][:8]:  # answer last, after 3 distractors
        docs = [*_neighbour(qa.doc_id, 3), qa.doc_id]
        out.append(
            _case(
                qa.phrasings[1],
                docs,
                extractive_reference(qa.answer, qa.doc_id),
                ["edge", "distractors", *_topic(qa.doc_id)],
                qa.qid,
            )
        )
    return out


def refuse_cases() -> list[dict]:
    out = [
        _case(q, [], DECLINE, ["should-refuse", "off-topic"], None)
        for q in (*OFF_TOPIC_QUESTIONS, *MORE_OFF_TOPIC)
    ]
    out += [
        _case(q, [doc], DECLINE, ["should-refuse", "not-in-kb", *_topic(doc)], None)
        for q, doc in UNANSWERABLE
    ]
    return out


def main() -> None:
    cases = normal_cases() + edge_cases() + refuse_cases()
    with (HERE / "cases.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    counts = {t: sum(t in c["tags"] for c in cases) for t in ("normal", "edge", "should-refuse")}
    print(f"{len(cases)} cases: {counts}")


if __name__ == "__main__":
    main()
