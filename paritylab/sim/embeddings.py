"""Deterministic lexical embeddings for the simulator's /v1/embeddings (signed feature hashing)."""

from __future__ import annotations

import hashlib
import itertools
import math

from paritylab.sim.text import words

DIMENSIONS = 256


def hashed_embedding(text: str, dims: int = DIMENSIONS) -> list[float]:
    """Bag of words and word bigrams hashed into `dims` signed buckets, L2-normalised."""
    vec = [0.0] * dims
    toks = words(text)
    for feature in toks + [f"{a} {b}" for a, b in itertools.pairwise(toks)]:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest[:4], "little") % dims
        vec[bucket] += 1.0 if digest[4] & 1 else -1.0
    if not any(vec):
        vec[0] = 1.0  # empty text: a fixed unit vector, so cosine similarity stays defined (never NaN)
    norm = math.sqrt(sum(v * v for v in vec))
    return [v / norm for v in vec]
