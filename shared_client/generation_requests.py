"""Requests that generate new footage: image-to-video and text-to-video (with references).

Both validate every field against their model's catalogue row when built; see
:mod:`.request_common` for what the submit flow asks of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .catalogue import ASPECT_RATIOS, DURATIONS, RESOLUTIONS, default_model
from .request_common import MediaSource, RequestBase, as_tuple, resolve_model
from .validation import (
    check_bool,
    check_choice,
    check_duration,
    check_media,
    check_prompt,
    check_prompt_tags,
    check_references,
)

__all__ = ["ImageToVideoRequest", "TextToVideoRequest"]

_COMMON = frozenset(
    {"prompt", "aspect_ratio", "resolution", "duration", "enable_web_search", "generate_audio"}
)


def _check_common(request: Any, aspect_optional: bool) -> None:
    spec = request.spec
    known = spec is not None
    check_prompt(request.prompt)
    if not (aspect_optional and request.aspect_ratio is None):
        ratios = spec.aspect_ratios if spec else ASPECT_RATIOS
        also = ", or None to adapt to the image" if aspect_optional else ""
        check_choice("aspect_ratio", request.aspect_ratio, ratios, known=known, also=also)
    check_choice(
        "resolution", request.resolution, spec.resolutions if spec else RESOLUTIONS, known=known
    )
    check_duration(request.duration, spec.durations if spec else DURATIONS, known=known)
    check_bool("enable_web_search", request.enable_web_search)
    check_bool("generate_audio", request.generate_audio)


@dataclass(frozen=True, repr=False)
class ImageToVideoRequest(RequestBase):
    """Animate a start image (optionally toward a last frame) with Seedance 2.0.

    Construction raises :class:`InvalidRequestError` on the first bad field, so a bad
    request never reaches the network (nor the bill).
    """

    prompt: str
    image: MediaSource
    last_image: MediaSource | None = None
    aspect_ratio: str | None = None
    resolution: str = "720p"
    duration: int = 5
    enable_web_search: bool = False
    generate_audio: bool = True
    model: str = default_model("image-to-video")
    extra_params: Mapping[str, Any] | None = None

    MODE = "image-to-video"
    MEDIA_FIELDS = ("image", "last_image")
    KNOWN_FIELDS = _COMMON | {"image", "last_image"}

    def __post_init__(self) -> None:
        check_prompt(self.prompt)
        check_media("image", self.image, "image")
        if self.last_image is not None:
            check_media("last_image", self.last_image, "image")
        resolve_model(self.MODE, self.model)
        _check_common(self, aspect_optional=True)
        self._check_extra()

    def image_inputs(self) -> dict[str, MediaSource]:
        """The image fields that are set, by API field name."""
        return {k: v for k, v in self.media_inputs().items() if not isinstance(v, tuple)}

    def scalar_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "resolution": self.resolution,
            "duration": self.duration,
            "enable_web_search": self.enable_web_search,
            "generate_audio": self.generate_audio,
        }
        if self.aspect_ratio is not None:
            fields["aspect_ratio"] = self.aspect_ratio
        return fields

    def billed_seconds(self) -> float:
        return float(self.duration)


@dataclass(frozen=True, repr=False)
class TextToVideoRequest(RequestBase):
    """Generate from a prompt, optionally shaped by reference images, videos and audio.

    References keep characters, style and voice consistent across shots; the prompt may
    point at them as ``@Image1``, ``@Video1``, ``@Audio1`` (1-based, per kind).
    """

    prompt: str
    aspect_ratio: str = "16:9"
    resolution: str = "720p"
    duration: int = 5
    generate_audio: bool = True
    enable_web_search: bool = False
    reference_images: tuple[MediaSource, ...] = ()
    reference_videos: tuple[MediaSource, ...] = ()
    reference_audios: tuple[MediaSource, ...] = ()
    model: str = default_model("text-to-video")
    extra_params: Mapping[str, Any] | None = None

    MODE = "text-to-video"
    MEDIA_FIELDS = ("reference_images", "reference_videos", "reference_audios")
    KNOWN_FIELDS = _COMMON | set(MEDIA_FIELDS)

    def __post_init__(self) -> None:
        for name in self.MEDIA_FIELDS:
            object.__setattr__(self, name, as_tuple(name, getattr(self, name)))
        check_prompt(self.prompt)
        spec = resolve_model(self.MODE, self.model)
        _check_common(self, aspect_optional=False)
        check_references(spec, self.reference_images, self.reference_videos, self.reference_audios)
        check_prompt_tags(
            self.prompt,
            len(self.reference_images),
            len(self.reference_videos),
            len(self.reference_audios),
        )
        self._check_extra()

    def scalar_fields(self) -> dict[str, Any]:
        return {
            "aspect_ratio": self.aspect_ratio,
            "resolution": self.resolution,
            "duration": self.duration,
            "generate_audio": self.generate_audio,
            "enable_web_search": self.enable_web_search,
        }

    def billed_seconds(self) -> float:
        return float(self.duration)
