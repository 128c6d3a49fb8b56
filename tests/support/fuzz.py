"""How many examples each property test draws.

Why: `make check` is the inner loop and must stay under 2 minutes on 2 cores; the
properties are a tenth of its CPU. It sets ``SEEDANCE_FUZZ_SCALE=0.25`` (a quarter of the
examples, never fewer than 50); `make test` and a plain `pytest` run the full counts.
Hypothesis keeps the failing examples it found in its database, so a failure seen once
is replayed first on the next run at any scale.
"""

from __future__ import annotations

import os

SCALE_ENV = "SEEDANCE_FUZZ_SCALE"
FLOOR = 50


def examples(full: int) -> int:
    """``full`` examples scaled by ``SEEDANCE_FUZZ_SCALE`` (default 1), at least 50."""
    raw = os.environ.get(SCALE_ENV, "").strip()
    scale = float(raw) if raw else 1.0
    return max(min(FLOOR, full), round(full * scale))
