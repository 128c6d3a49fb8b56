"""Server-side validation of submit bodies, per the product page's parameter table.

Why: the client validates first, but the server has the last word; the simulator must
reject what the API rejects, with the API's codes (1400 missing, 1401 invalid), so the
client's handling of a server-side rejection is tested too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

IMAGE_TO_VIDEO_MODELS = (
    "bytedance/seedance-2.0-mini/image-to-video",
    "bytedance/seedance-2.0/image-to-video",
    "bytedance/seedance-2.0-fast/image-to-video",
)
TEXT_TO_VIDEO_MODELS = (
    "bytedance/seedance-2.0/text-to-video",
    "bytedance/seedance-2.0-fast/text-to-video",
)
MODELS = IMAGE_TO_VIDEO_MODELS + TEXT_TO_VIDEO_MODELS
ASPECT_RATIOS = ("16:9", "9:16", "4:3", "3:4", "1:1", "21:9")
RESOLUTIONS = ("480p", "720p", "1080p")
MIN_DURATION, MAX_DURATION = 4, 15
CODE_MISSING, CODE_INVALID = 1400, 1401


@dataclass(frozen=True)
class ValidationFailure:
    """Why a body was rejected: the API code and a message naming field and allowed values."""

    code: int
    field: str
    message: str


@dataclass(frozen=True)
class VideoInput:
    """A validated submit body with defaults applied."""

    prompt: str
    image: str | None
    last_image: str | None
    aspect_ratio: str | None
    resolution: str
    duration: int
    enable_web_search: bool
    generate_audio: bool


def _is_media_url(value: str) -> bool:
    if value.startswith("data:"):
        return "," in value
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate_body(model: str, body: Any) -> VideoInput | ValidationFailure:
    """Return the parsed input, or the first failure, checking fields in table order."""
    if not isinstance(body, dict):
        return ValidationFailure(CODE_INVALID, "body", "request body must be a JSON object")
    needs_image = model in IMAGE_TO_VIDEO_MODELS
    prompt = body.get("prompt")
    if prompt is None or (isinstance(prompt, str) and not prompt.strip()):
        return ValidationFailure(CODE_MISSING, "prompt", "missing required parameter: prompt")
    if not isinstance(prompt, str):
        return ValidationFailure(
            CODE_INVALID, "prompt", "invalid parameter prompt: must be a string"
        )
    images: dict[str, str | None] = {"image": None, "last_image": None}
    for name in ("image", "last_image"):
        value = body.get(name)
        if value is None or value == "":
            if name == "image" and needs_image:
                return ValidationFailure(CODE_MISSING, "image", "missing required parameter: image")
            continue
        if not isinstance(value, str) or not _is_media_url(value):
            return ValidationFailure(
                CODE_INVALID,
                name,
                f"invalid parameter {name}: must be an http(s) URL or a data: URI",
            )
        images[name] = value
    aspect_ratio = body.get("aspect_ratio")
    if aspect_ratio in ("", None):
        aspect_ratio = None
    elif aspect_ratio not in ASPECT_RATIOS:
        return ValidationFailure(
            CODE_INVALID,
            "aspect_ratio",
            f"invalid parameter aspect_ratio={aspect_ratio!r}: allowed {', '.join(ASPECT_RATIOS)}",
        )
    resolution = body.get("resolution", "720p")
    if resolution not in RESOLUTIONS:
        return ValidationFailure(
            CODE_INVALID,
            "resolution",
            f"invalid parameter resolution={resolution!r}: allowed {', '.join(RESOLUTIONS)}",
        )
    duration = body.get("duration", 5)
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not MIN_DURATION <= duration <= MAX_DURATION
    ):
        return ValidationFailure(
            CODE_INVALID,
            "duration",
            f"invalid parameter duration={duration!r}: integer {MIN_DURATION} ~ {MAX_DURATION}",
        )
    flags: dict[str, bool] = {}
    for name, default in (("enable_web_search", False), ("generate_audio", True)):
        value = body.get(name, default)
        if not isinstance(value, bool):
            return ValidationFailure(
                CODE_INVALID, name, f"invalid parameter {name}={value!r}: must be a boolean"
            )
        flags[name] = value
    return VideoInput(
        prompt=prompt,
        image=images["image"],
        last_image=images["last_image"],
        aspect_ratio=aspect_ratio,
        resolution=resolution,
        duration=duration,
        enable_web_search=flags["enable_web_search"],
        generate_audio=flags["generate_audio"],
    )
