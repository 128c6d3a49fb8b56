"""One canonical fingerprint of a JSON value: sorted keys, compact, ASCII, SHA-256.

Two features find work again by content: an uncertain submit is matched against the
API's history by its body (:func:`~shared_client.submissions.body_fingerprint`), and the
ComfyUI node's result cache is keyed by its request's fields. Both must hash the same
value the same way forever, or a stored key stops matching; so the recipe lives here
once. Changing it invalidates every existing cache entry.
"""

from __future__ import annotations

import hashlib
import json

__all__ = ["canonical_fingerprint"]


def canonical_fingerprint(value: object) -> str:
    """The SHA-256 hex digest of ``value`` as canonical JSON.

    Keys are sorted and separators compact, so dicts equal in content hash the same
    whatever their insertion order; non-ASCII text is escaped (``ensure_ascii``), so the
    bytes hashed do not depend on an encoding. ``value`` must be JSON-serialisable.
    """
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
