"""The Seedance 2.0 family as data: one row per model path.

Each row says what the path does (mode, tier), which values it takes, how many and which
reference files it accepts, and what one second of its output costs offline. Validation,
the offline price table and the integrations' choices all read these rows, so adding a
model WaveSpeed publishes later is one row here (and one in the simulator's own table),
never a new code branch. Paths under ``bytedance/seedance-2.0`` that are not rows may
still be used: they are validated only by the server (see :func:`is_family_path`).

Where sources disagree (``../shared/reference/seedance-2.0-family.md``) the row takes the
per-endpoint parameter table, and the more conservative value otherwise; each such choice
is commented on its row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "ASPECT_RATIOS",
    "DEFAULT_MODEL",
    "FAMILY_PREFIX",
    "IMAGE_TO_VIDEO_MODELS",
    "MAX_DURATION",
    "MIN_DURATION",
    "MODELS",
    "RESOLUTIONS",
    "RESOLUTION_PRICE_FACTORS",
    "Mode",
    "ModelSpec",
    "ReferenceLimits",
    "Tier",
    "default_model",
    "is_family_path",
    "model_spec",
    "models_for",
]

Mode = Literal["text-to-video", "image-to-video", "video-extend", "video-edit"]
Tier = Literal["standard", "fast", "mini"]

FAMILY_PREFIX: Final[str] = "bytedance/seedance-2.0"
ASPECT_RATIOS: Final[tuple[str, ...]] = ("16:9", "9:16", "4:3", "3:4", "1:1", "21:9")
RESOLUTIONS: Final[tuple[str, ...]] = ("480p", "720p", "1080p")
MIN_DURATION: Final[int] = 4
MAX_DURATION: Final[int] = 15
#: Seconds of output a request may ask for, when its model's row does not say otherwise.
DURATIONS: Final[tuple[int, int]] = (MIN_DURATION, MAX_DURATION)
#: Output tokens per second relative to 720p (ComfyUI prices Seedance 2.0 by output
#: tokens per second: 480p 10,044; 720p 21,600; 1080p 48,800).
RESOLUTION_PRICE_FACTORS: Final[Mapping[str, float]] = {
    "480p": 0.465,
    "720p": 1.0,
    "1080p": 2.259,
}
#: USD per output second at 720p: standard about $1.20 per 5 s, fast $0.80, mini half
#: of standard; fast turbo from $0.60 per 5 s.
_STANDARD, _FAST, _MINI, _FAST_TURBO = 0.24, 0.16, 0.12, 0.12

MB = 1024 * 1024


@dataclass(frozen=True)
class ReferenceLimits:
    """ByteDance's reference limits, as other providers publish them."""

    max_images: int = 9
    max_videos: int = 3
    max_audios: int = 3
    max_files: int = 12
    #: Total seconds of the reference videos: at least, at most.
    video_seconds: tuple[float, float] = (2.0, 15.0)
    #: Total seconds of the reference audio: at most.
    max_audio_seconds: float = 15.0
    max_image_bytes: int = 30 * MB
    max_video_bytes: int = 50 * MB
    max_audio_bytes: int = 15 * MB
    image_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp")
    video_types: tuple[str, ...] = ("video/mp4", "video/quicktime")
    audio_types: tuple[str, ...] = ("audio/mpeg", "audio/wav")


REFERENCES = ReferenceLimits()


@dataclass(frozen=True)
class ModelSpec:
    """One model path: what it does, what it accepts, what it costs offline."""

    path: str
    mode: Mode
    tier: Tier
    usd_per_second: float
    resolutions: tuple[str, ...] = RESOLUTIONS
    aspect_ratios: tuple[str, ...] = ASPECT_RATIOS
    durations: tuple[int, int] = DURATIONS
    references: ReferenceLimits | None = None
    #: Why a value was chosen where sources disagree, or what is unconfirmed.
    note: str = ""
    label: str = field(default="", compare=False)

    def price(self, resolution: str, seconds: float) -> float:
        """The offline price of one run: rate x resolution factor x billed seconds."""
        factor = RESOLUTION_PRICE_FACTORS.get(resolution, max(RESOLUTION_PRICE_FACTORS.values()))
        return round(self.usd_per_second * factor * seconds, 4)


def _row(
    path: str, mode: Mode, tier: Tier, rate: float, *, refs: bool = False, note: str = ""
) -> ModelSpec:
    return ModelSpec(
        path=path,
        mode=mode,
        tier=tier,
        usd_per_second=rate,
        references=REFERENCES if refs else None,
        note=note,
    )


_S, _F, _M = f"{FAMILY_PREFIX}/", f"{FAMILY_PREFIX}-fast/", f"{FAMILY_PREFIX}-mini/"
_ROWS: tuple[ModelSpec, ...] = (
    _row(_S + "text-to-video", "text-to-video", "standard", _STANDARD, refs=True),
    _row(
        _S + "text-to-video-fast",
        "text-to-video",
        "standard",
        _STANDARD,
        refs=True,
        note="renders 480p and upscales; no published price: the standard rate (conservative)",
    ),
    _row(
        _S + "text-to-video-turbo",
        "text-to-video",
        "standard",
        _STANDARD,
        refs=True,
        note="no published price: the standard rate (conservative)",
    ),
    _row(_S + "image-to-video", "image-to-video", "standard", _STANDARD),
    _row(_S + "video-extend", "video-extend", "standard", _STANDARD),
    _row(_S + "video-edit", "video-edit", "standard", _STANDARD, refs=True),
    _row(_F + "text-to-video", "text-to-video", "fast", _FAST, refs=True),
    _row(_F + "text-to-video-turbo", "text-to-video", "fast", _FAST_TURBO, refs=True),
    _row(
        _F + "reference-to-video",
        "text-to-video",
        "fast",
        _FAST,
        refs=True,
        note="path inferred from a page slug: unconfirmed",
    ),
    _row(_F + "image-to-video", "image-to-video", "fast", _FAST),
    _row(_F + "video-extend", "video-extend", "fast", _FAST),
    _row(
        _M + "image-to-video",
        "image-to-video",
        "mini",
        _MINI,
        note="the product page's intro says 720p-1080p and 5-12 s; its parameter table "
        "(480p-1080p, 4-15 s) is the contract and the server has the last word",
    ),
    _row(_M + "video-extend", "video-extend", "mini", _MINI),
    _row(
        _M + "text-to-video",
        "text-to-video",
        "mini",
        _MINI,
        refs=True,
        note="path inferred: unconfirmed; reference videos: 3 (ByteDance's limit), not the "
        "9 of the mini marketing text",
    ),
    _row(_M + "text-to-video-turbo", "text-to-video", "mini", _MINI, refs=True),
)

#: Every known model path, in a stable order.
MODELS: Final[Mapping[str, ModelSpec]] = {row.path: row for row in _ROWS}

_DEFAULTS: Final[Mapping[Mode, str]] = {
    "text-to-video": _S + "text-to-video",
    "image-to-video": _M + "image-to-video",
    "video-extend": _S + "video-extend",
    "video-edit": _S + "video-edit",
}


def model_spec(path: str) -> ModelSpec | None:
    """The row of ``path``, or None for a path the catalogue does not know."""
    return MODELS.get(path)


def models_for(mode: Mode, tier: Tier | None = None) -> tuple[str, ...]:
    """The known paths of one mode (and tier), in catalogue order."""
    return tuple(
        row.path for row in _ROWS if row.mode == mode and (tier is None or row.tier == tier)
    )


def default_model(mode: Mode) -> str:
    """The path a request of ``mode`` uses when none is given."""
    return _DEFAULTS[mode]


def is_family_path(path: object) -> bool:
    """A Seedance 2.0 path (known or not): ``bytedance/seedance-2.0[-tier]/<task>``."""
    if not isinstance(path, str) or not path.startswith(FAMILY_PREFIX):
        return False
    family, _, task = path.partition("/")[2].partition("/")
    return family.startswith("seedance-2.0") and bool(task) and "/" not in task


#: The default image-to-video model (mini: the product page's model).
DEFAULT_MODEL: Final[str] = default_model("image-to-video")
#: The Seedance 2.0 image-to-video models, the default (mini) first.
IMAGE_TO_VIDEO_MODELS: Final[tuple[str, ...]] = (
    DEFAULT_MODEL,
    *(path for path in models_for("image-to-video") if path != DEFAULT_MODEL),
)
