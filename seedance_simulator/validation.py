"""Server-side validation of submit bodies, per mode, like the real API's parameter tables.

Why: the client validates first, but the server has the last word; the simulator must
reject what the API rejects, with the API's codes (1400 missing, 1401 invalid), so the
client's handling of a server-side rejection is tested too. What needs the media itself
(reference lengths, the edit input's length) is checked once the task fetched it
(`jobs.py`). Parameters a mode does not take are ignored, as the API ignores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .catalogue import model_spec, paths_for

#: The image-to-video paths (the original mini model and its siblings).
IMAGE_TO_VIDEO_MODELS = paths_for("i2v")
#: The first two text-to-video paths; `catalogue.CATALOGUE` has the whole family.
TEXT_TO_VIDEO_MODELS = (
    "bytedance/seedance-2.0/text-to-video",
    "bytedance/seedance-2.0-fast/text-to-video",
)
#: The five paths the simulator first served (kept for compatibility). Routing, pricing
#: and validation use `catalogue.CATALOGUE`, the whole family.
MODELS = IMAGE_TO_VIDEO_MODELS + TEXT_TO_VIDEO_MODELS
ASPECT_RATIOS = ("16:9", "9:16", "4:3", "3:4", "1:1", "21:9")
RESOLUTIONS = ("480p", "720p", "1080p")
MIN_DURATION, MAX_DURATION = 4, 15
CODE_MISSING, CODE_INVALID = 1400, 1401
#: ByteDance's reference limits (counts here; lengths once fetched, in `jobs.py`).
MAX_REF_IMAGES, MAX_REF_VIDEOS, MAX_REF_AUDIOS, MAX_REF_FILES = 9, 3, 3, 12
REF_VIDEO_SECONDS = (2.0, 15.0)
MAX_REF_AUDIO_SECONDS = 15.0
#: The parameters each mode takes, beyond `prompt`.
MODE_FIELDS: dict[str, tuple[str, ...]] = {
    "t2v": ("image", "last_image", "aspect_ratio", "resolution", "duration", "flags", "refs"),
    "i2v": ("image", "last_image", "aspect_ratio", "resolution", "duration", "flags"),
    "extend": ("video", "last_image", "resolution", "duration", "flags"),
    "edit": ("video", "aspect_ratio", "resolution", "duration", "refs"),
}


@dataclass(frozen=True)
class ValidationFailure:
    """Why a body was rejected: the API code and a message naming field and allowed values."""

    code: int
    field: str
    message: str


@dataclass(frozen=True)
class VideoInput:
    """A validated submit body with defaults applied.

    `duration` is the output seconds (extend: the *new* seconds); None only for video-edit
    without a duration, which then lasts as long as its input (at most 15 s).
    """

    prompt: str
    image: str | None
    last_image: str | None
    aspect_ratio: str | None
    resolution: str
    duration: int | None
    enable_web_search: bool
    generate_audio: bool
    mode: str = "i2v"
    video: str | None = None
    reference_images: tuple[str, ...] = ()
    reference_videos: tuple[str, ...] = ()
    reference_audios: tuple[str, ...] = ()

    @property
    def references(self) -> tuple[str, ...]:
        return self.reference_images + self.reference_videos + self.reference_audios


class _Reject(Exception):
    def __init__(self, code: int, field: str, message: str) -> None:
        super().__init__(message)
        self.failure = ValidationFailure(code, field, message)


def _invalid(field: str, message: str) -> _Reject:
    return _Reject(CODE_INVALID, field, f"invalid parameter {message}")


def _is_media_url(value: str) -> bool:
    if value.startswith("data:"):
        return "," in value
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _url(body: dict[str, Any], name: str, required: bool) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise _Reject(CODE_MISSING, name, f"missing required parameter: {name}")
        return None
    if not isinstance(value, str) or not _is_media_url(value):
        raise _invalid(name, f"{name}: must be an http(s) URL or a data: URI")
    return value


def _url_list(body: dict[str, Any], name: str, most: int) -> tuple[str, ...]:
    value = body.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _invalid(name, f"{name}: must be a list of http(s) URLs or data: URIs")
    if len(value) > most:
        raise _invalid(name, f"{name}: at most {most} files, got {len(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not _is_media_url(item):
            raise _invalid(name, f"{name}[{index}]: must be an http(s) URL or a data: URI")
    return tuple(value)


def _choice(body: dict[str, Any], name: str, allowed: tuple[str, ...], default: Any) -> Any:
    value = body.get(name, default)
    if value in ("", None):
        return default
    if value not in allowed:
        raise _invalid(name, f"{name}={value!r}: allowed {', '.join(allowed)}")
    return value


def _duration(body: dict[str, Any], default: int | None) -> int | None:
    duration = body.get("duration", default)
    if duration is None and default is None:
        return None
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not MIN_DURATION <= duration <= MAX_DURATION
    ):
        raise _invalid(
            "duration", f"duration={duration!r}: integer {MIN_DURATION} ~ {MAX_DURATION}"
        )
    return duration


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise _invalid(name, f"{name}={value!r}: must be a boolean")
    return value


def _references(body: dict[str, Any], mode: str) -> dict[str, tuple[str, ...]]:
    refs = {
        "reference_images": _url_list(body, "reference_images", MAX_REF_IMAGES),
        "reference_videos": (
            _url_list(body, "reference_videos", MAX_REF_VIDEOS) if mode == "t2v" else ()
        ),
        "reference_audios": _url_list(body, "reference_audios", MAX_REF_AUDIOS),
    }
    total = sum(len(v) for v in refs.values())
    if total > MAX_REF_FILES:
        raise _invalid(
            "references",
            "reference_images/reference_videos/reference_audios: at most "
            f"{MAX_REF_FILES} reference files in all, got {total}",
        )
    alone = not refs["reference_images"] and not refs["reference_videos"]
    if mode == "t2v" and refs["reference_audios"] and alone:
        raise _invalid(
            "reference_audios",
            "reference_audios: audio references need at least one reference image or video",
        )
    return refs


def _parse(mode: str, body: dict[str, Any]) -> VideoInput:
    fields = MODE_FIELDS[mode]
    prompt = body.get("prompt")
    if prompt is None or (isinstance(prompt, str) and not prompt.strip()):
        raise _Reject(CODE_MISSING, "prompt", "missing required parameter: prompt")
    if not isinstance(prompt, str):
        raise _invalid("prompt", "prompt: must be a string")
    image = _url(body, "image", mode == "i2v") if "image" in fields else None
    last_image = _url(body, "last_image", False) if "last_image" in fields else None
    video = _url(body, "video", True) if "video" in fields else None
    ratio_default = "16:9" if mode == "t2v" else None
    aspect_ratio = (
        _choice(body, "aspect_ratio", ASPECT_RATIOS, ratio_default)
        if "aspect_ratio" in fields
        else None
    )
    resolution = _choice(body, "resolution", RESOLUTIONS, "720p")
    duration = _duration(body, None if mode == "edit" else 5)
    web, audio = False, mode != "edit"
    if "flags" in fields:
        web = _flag(body, "enable_web_search", False)
        audio = _flag(body, "generate_audio", True)
    refs = _references(body, mode) if "refs" in fields else {}
    return VideoInput(
        prompt=prompt,
        image=image,
        last_image=last_image,
        aspect_ratio=aspect_ratio,
        resolution=resolution,
        duration=duration,
        enable_web_search=web,
        generate_audio=audio,
        mode=mode,
        video=video,
        **refs,
    )


def validate_body(model: str, body: Any) -> VideoInput | ValidationFailure:
    """Return the parsed input, or the first failure, checking fields in table order."""
    if not isinstance(body, dict):
        return ValidationFailure(CODE_INVALID, "body", "request body must be a JSON object")
    spec = model_spec(model)
    mode = spec.mode if spec is not None else "t2v"
    try:
        return _parse(mode, body)
    except _Reject as exc:
        return exc.failure
