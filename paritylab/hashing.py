"""Canonical JSON and content hashes: the basis of request caching, candidate ids and idempotent keys."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal values always serialise to equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(value: Any, length: int = 64) -> str:
    """SHA-256 of the canonical JSON of `value`, hex, truncated to `length` characters."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:length]
