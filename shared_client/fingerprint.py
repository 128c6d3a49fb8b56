"""One canonical digest of JSON-like values, for every "same request?" question.

Integrations key caches and reconciliation on it, so the definition lives once, here:
SHA-256 over JSON with sorted keys, no whitespace and ASCII escapes, which makes the
digest independent of dict order and of how the text would be encoded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_fingerprint"]


def canonical_fingerprint(value: Any) -> str:
    """Hex SHA-256 of ``value`` as sorted-keys, compact, ASCII-only JSON."""
    return hashlib.sha256(
        json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    ).hexdigest()
