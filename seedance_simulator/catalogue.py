"""The Seedance 2.0 family the simulator serves: one row per model path, and its prices.

Why a copy of its own: the simulator stands in for the real service, so it must not share
the client's bugs. This table mirrors the client's offline table value for value (see
`docs/simulator.md`); on the real service the pricing API is authoritative.

Price of one run = round(rate x resolution factor x billed seconds, 4), where the rate is
USD per output second at 720p and the factor is output tokens per second relative to 720p.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Mode = Literal["t2v", "i2v", "extend", "edit"]
Tier = Literal["standard", "fast", "mini"]

#: USD per output second at 720p.
TIER_RATES: Final[dict[str, float]] = {"standard": 0.24, "fast": 0.16, "mini": 0.12}
#: Output tokens per second relative to 720p (480p 10,044; 720p 21,600; 1080p 48,800).
RESOLUTION_FACTORS: Final[dict[str, float]] = {"480p": 0.465, "720p": 1.0, "1080p": 2.259}
#: video-edit trims its input to this many seconds (and bills at most this many).
EDIT_MAX_INPUT_SECONDS: Final[float] = 15.0
CURRENCY: Final[str] = "USD"


@dataclass(frozen=True)
class ModelSpec:
    """One model path: what it does, its tier, and its USD per output second at 720p."""

    path: str
    mode: Mode
    tier: Tier
    rate: float

    def price(self, resolution: str, billed_seconds: float) -> float:
        return run_price(self.rate, resolution, billed_seconds)


def run_price(rate: float, resolution: str, billed_seconds: float) -> float:
    """The formula: round(rate x factor(resolution) x billed seconds, 4)."""
    return round(rate * RESOLUTION_FACTORS[resolution] * billed_seconds, 4)


_S = "bytedance/seedance-2.0/"
_F = "bytedance/seedance-2.0-fast/"
_M = "bytedance/seedance-2.0-mini/"
_ROWS: Final[tuple[ModelSpec, ...]] = (
    ModelSpec(_S + "text-to-video", "t2v", "standard", 0.24),
    ModelSpec(_S + "text-to-video-fast", "t2v", "standard", 0.24),
    ModelSpec(_S + "text-to-video-turbo", "t2v", "standard", 0.24),
    ModelSpec(_S + "image-to-video", "i2v", "standard", 0.24),
    ModelSpec(_S + "video-extend", "extend", "standard", 0.24),
    ModelSpec(_S + "video-edit", "edit", "standard", 0.24),
    ModelSpec(_F + "text-to-video", "t2v", "fast", 0.16),
    ModelSpec(_F + "text-to-video-turbo", "t2v", "fast", 0.12),
    ModelSpec(_F + "reference-to-video", "t2v", "fast", 0.16),
    ModelSpec(_F + "image-to-video", "i2v", "fast", 0.16),
    ModelSpec(_F + "video-extend", "extend", "fast", 0.16),
    ModelSpec(_M + "image-to-video", "i2v", "mini", 0.12),
    ModelSpec(_M + "video-extend", "extend", "mini", 0.12),
    ModelSpec(_M + "text-to-video", "t2v", "mini", 0.12),
    ModelSpec(_M + "text-to-video-turbo", "t2v", "mini", 0.12),
)

#: Every path the simulator serves, in a stable order.
CATALOGUE: Final[dict[str, ModelSpec]] = {row.path: row for row in _ROWS}


def model_spec(path: str) -> ModelSpec | None:
    """The row of `path`, or None (the submit answers 404, the pricing API 400/1401)."""
    return CATALOGUE.get(path)


def paths_for(mode: Mode) -> tuple[str, ...]:
    return tuple(row.path for row in _ROWS if row.mode == mode)
