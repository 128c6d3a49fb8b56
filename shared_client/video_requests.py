"""Requests that start from a video: extend it with new seconds, or edit it.

* video-extend continues the input from its last frame; only the *new* seconds are
  generated and billed, and the result is the input followed by them, in one file.
* video-edit changes the input (trimmed to 15 s) as the prompt says, optionally shaped by
  reference images and audio; its length and ratio default to the input's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .catalogue import ASPECT_RATIOS, DURATIONS, MAX_DURATION, RESOLUTIONS, default_model
from .media_probe import probe_media
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

__all__ = ["VideoEditRequest", "VideoExtendRequest"]


@dataclass(frozen=True, repr=False)
class VideoExtendRequest(RequestBase):
    """Add ``duration`` new seconds to ``video``, optionally ending on ``last_image``."""

    prompt: str
    video: MediaSource
    last_image: MediaSource | None = None
    duration: int = 5
    resolution: str = "720p"
    enable_web_search: bool = False
    generate_audio: bool = True
    model: str = default_model("video-extend")
    extra_params: Mapping[str, Any] | None = None

    MODE = "video-extend"
    MEDIA_FIELDS = ("video", "last_image")
    KNOWN_FIELDS = frozenset(
        {
            "prompt",
            "video",
            "last_image",
            "duration",
            "resolution",
            "enable_web_search",
            "generate_audio",
        }
    )

    def __post_init__(self) -> None:
        check_prompt(self.prompt)
        check_media("video", self.video, "video")
        if self.last_image is not None:
            check_media("last_image", self.last_image, "image")
        spec = resolve_model(self.MODE, self.model)
        known = spec is not None
        check_choice(
            "resolution",
            self.resolution,
            spec.resolutions if spec else RESOLUTIONS,
            known=known,
        )
        check_duration(self.duration, spec.durations if spec else DURATIONS, known=known)
        check_bool("enable_web_search", self.enable_web_search)
        check_bool("generate_audio", self.generate_audio)
        self._check_extra()

    def scalar_fields(self) -> dict[str, Any]:
        return {
            "duration": self.duration,
            "resolution": self.resolution,
            "enable_web_search": self.enable_web_search,
            "generate_audio": self.generate_audio,
        }

    def billed_seconds(self) -> float:
        """Only the new seconds are billed; the input is not."""
        return float(self.duration)


@dataclass(frozen=True, repr=False)
class VideoEditRequest(RequestBase):
    """Edit ``video`` as the prompt says, optionally with reference images and audio."""

    prompt: str
    video: MediaSource
    reference_images: tuple[MediaSource, ...] = ()
    reference_audios: tuple[MediaSource, ...] = ()
    duration: int | None = None
    aspect_ratio: str | None = None
    model: str = default_model("video-edit")
    extra_params: Mapping[str, Any] | None = None

    MODE = "video-edit"
    MEDIA_FIELDS = ("video", "reference_images", "reference_audios")
    KNOWN_FIELDS = frozenset(
        {"prompt", "video", "reference_images", "reference_audios", "duration", "aspect_ratio"}
    )

    def __post_init__(self) -> None:
        for name in ("reference_images", "reference_audios"):
            object.__setattr__(self, name, as_tuple(name, getattr(self, name)))
        check_prompt(self.prompt)
        check_media("video", self.video, "video")
        spec = resolve_model(self.MODE, self.model)
        known = spec is not None
        if self.duration is not None:
            check_duration(self.duration, spec.durations if spec else DURATIONS, known=known)
        if self.aspect_ratio is not None:
            check_choice(
                "aspect_ratio",
                self.aspect_ratio,
                spec.aspect_ratios if spec else ASPECT_RATIOS,
                known=known,
                also=", or None to keep the input's",
            )
        check_references(spec, self.reference_images, (), self.reference_audios, extra_videos=1)
        check_prompt_tags(self.prompt, len(self.reference_images), 1, len(self.reference_audios))
        self._check_extra()

    def scalar_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.duration is not None:
            fields["duration"] = self.duration
        if self.aspect_ratio is not None:
            fields["aspect_ratio"] = self.aspect_ratio
        return fields

    def billed_seconds(self) -> float:
        """``duration``, else the input's length when it is a local file, else 15 s
        (the most the API edits: a conservative offline figure)."""
        if self.duration is not None:
            return float(self.duration)
        info = probe_media(self.video)
        if info is not None and info.seconds is not None:
            return float(min(info.seconds, MAX_DURATION))
        return float(MAX_DURATION)
