"""Storyboards as data: shots chained into one film, validated whole before anything is paid.

A storyboard has a title, shared settings (tier, resolution, ratio, audio), shared
references (the character sheet) and an ordered list of shots. Each shot says how it
joins the previous one:

* ``cut``: an independent shot with the same references (text-to-video), or, when the
  shot has its own ``image``, image-to-video from that start frame;
* ``continue``: image-to-video whose first frame is the previous shot's exact last frame;
* ``extend``: video-extend of the previous shot's footage (the shot's file then holds the
  previous footage followed by the new seconds; the film uses only the new seconds).

Every shot is checked against the catalogue as the request it will become, so an error
names the shot and the field (``shots[2].duration``). Files are YAML or JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .catalogue import Mode, Tier, default_model, models_for
from .errors import InvalidRequestError
from .generation_requests import ImageToVideoRequest, TextToVideoRequest
from .request_common import RequestBase
from .video_requests import VideoExtendRequest

__all__ = ["MAX_STORY_SECONDS", "Shot", "Storyboard"]

Join = Literal["cut", "continue", "extend"]
JOINS: tuple[str, ...] = ("cut", "continue", "extend")
TIERS: tuple[str, ...] = ("mini", "fast", "standard")
#: The longest film a board may ask for: twelve 15 s shots.
MAX_STORY_SECONDS = 180
#: Stands in for media that exists only once an earlier shot is done (its last frame, its
#: footage), so a dependent shot can be validated and priced before anything is paid.
PENDING_FRAME = "https://pending.invalid/previous-shot-last-frame.png"
PENDING_VIDEO = "https://pending.invalid/previous-shot.mp4"


@dataclass(frozen=True)
class Shot:
    """One shot: what happens, for how long, and how it joins the previous shot."""

    prompt: str
    duration: int = 5
    join: Join = "cut"
    image: Any = None
    camera: str | None = None

    @property
    def full_prompt(self) -> str:
        return f"{self.prompt}, {self.camera}" if self.camera else self.prompt


@dataclass(frozen=True)
class Storyboard:
    """A film as data; build with :meth:`from_file` / :meth:`from_dict` or directly."""

    title: str
    shots: tuple[Shot, ...]
    tier: Tier = "fast"
    resolution: str = "720p"
    aspect_ratio: str = "16:9"
    generate_audio: bool = True
    reference_images: tuple[Any, ...] = ()
    reference_videos: tuple[Any, ...] = ()
    reference_audios: tuple[Any, ...] = ()
    #: Where relative media paths in the board are resolved (the file's folder).
    base_dir: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise InvalidRequestError("title", self.title, "a non-empty string")
        if self.tier not in TIERS:
            raise InvalidRequestError("tier", self.tier, ", ".join(TIERS))
        if not self.shots:
            raise InvalidRequestError("shots", self.shots, "at least one shot")
        total = 0
        for index, shot in enumerate(self.shots):
            if shot.join not in JOINS:
                raise InvalidRequestError(f"shots[{index}].join", shot.join, ", ".join(JOINS))
            if index == 0 and shot.join != "cut":
                raise InvalidRequestError(
                    "shots[0].join", shot.join, "cut (the first shot has nothing to join)"
                )
            self.request_for(index)  # every shot as the request it will become
            total += shot.duration
        if total > MAX_STORY_SECONDS:
            raise InvalidRequestError(
                "shots", f"{total} s in all", f"at most {MAX_STORY_SECONDS} s of film"
            )

    # -- loading --
    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Storyboard:
        """A board from a ``.yaml``/``.yml`` (needs PyYAML) or ``.json`` file."""
        source = Path(path)
        text = source.read_text(encoding="utf-8")
        if source.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            try:
                import yaml  # type: ignore[import-untyped,unused-ignore]
            except ImportError as exc:  # pragma: no cover - the stories extra brings it
                raise InvalidRequestError(
                    "storyboard", str(source), "a .json file, or install PyYAML for .yaml"
                ) from exc
            data = yaml.safe_load(text)
        return cls.from_dict(data, base_dir=source.parent)

    @classmethod
    def from_dict(cls, data: Any, *, base_dir: str | os.PathLike[str] | None = None) -> Storyboard:
        """A board from plain data (the file format's shape)."""
        if not isinstance(data, Mapping):
            raise InvalidRequestError("storyboard", data, "a mapping with title and shots")
        base = Path(base_dir) if base_dir is not None else None
        refs = data.get("references") or {}
        if not isinstance(refs, Mapping):
            raise InvalidRequestError("references", refs, "a mapping of images/videos/audios")
        raw_shots = data.get("shots")
        if not isinstance(raw_shots, Sequence) or isinstance(raw_shots, str):
            raise InvalidRequestError("shots", raw_shots, "a list of shots")
        shots = []
        for index, raw in enumerate(raw_shots):
            if not isinstance(raw, Mapping):
                raise InvalidRequestError(f"shots[{index}]", raw, "a mapping with a prompt")
            unknown = set(raw) - {"prompt", "duration", "join", "image", "camera"}
            if unknown:
                raise InvalidRequestError(
                    f"shots[{index}]", sorted(unknown), "prompt, duration, join, image, camera"
                )
            image = raw.get("image")
            shots.append(
                Shot(
                    prompt=raw.get("prompt"),  # type: ignore[arg-type]
                    duration=raw.get("duration", 5),
                    join=raw.get("join", "cut"),
                    image=_resolve(image, base) if image is not None else None,
                    camera=raw.get("camera"),
                )
            )
        known = {"title", "tier", "resolution", "aspect_ratio", "generate_audio", "references"}
        unknown_top = set(data) - known - {"shots"}
        if unknown_top:
            raise InvalidRequestError("storyboard", sorted(unknown_top), ", ".join(sorted(known)))
        return cls(
            title=data.get("title"),  # type: ignore[arg-type]
            shots=tuple(shots),
            tier=data.get("tier", "fast"),
            resolution=data.get("resolution", "720p"),
            aspect_ratio=str(data.get("aspect_ratio", "16:9")),
            generate_audio=data.get("generate_audio", True),
            reference_images=tuple(_resolve(p, base) for p in refs.get("images") or ()),
            reference_videos=tuple(_resolve(p, base) for p in refs.get("videos") or ()),
            reference_audios=tuple(_resolve(p, base) for p in refs.get("audios") or ()),
            base_dir=base,
        )

    def to_dict(self) -> dict[str, Any]:
        """The board in the file format's shape, media paths resolved (absolute when they
        came from a file), so it can travel as JSON (an Airflow XCom) and be rebuilt with
        :meth:`from_dict` anywhere. Media given as bytes cannot travel and are refused."""

        def plain(value: Any, where: str) -> Any:
            if isinstance(value, bytes | bytearray):
                raise InvalidRequestError(where, "<bytes>", "a path or URL to travel as JSON")
            return str(value) if isinstance(value, os.PathLike) else value

        refs = {
            kind: [plain(v, f"references.{kind}[{i}]") for i, v in enumerate(values)]
            for kind, values in (
                ("images", self.reference_images),
                ("videos", self.reference_videos),
                ("audios", self.reference_audios),
            )
        }
        shots = []
        for index, shot in enumerate(self.shots):
            item: dict[str, Any] = {"prompt": shot.prompt, "duration": shot.duration}
            item["join"] = shot.join
            if shot.image is not None:
                item["image"] = plain(shot.image, f"shots[{index}].image")
            if shot.camera:
                item["camera"] = shot.camera
            shots.append(item)
        return {
            "title": self.title,
            "tier": self.tier,
            "resolution": self.resolution,
            "aspect_ratio": self.aspect_ratio,
            "generate_audio": self.generate_audio,
            "references": refs,
            "shots": shots,
        }

    # -- what each shot becomes --
    def mode_of(self, index: int) -> Mode:
        shot = self.shots[index]
        if shot.join == "extend":
            return "video-extend"
        if shot.join == "continue" or shot.image is not None:
            return "image-to-video"
        return "text-to-video"

    def model_for(self, mode: Mode) -> str:
        """The board's tier in this mode, else the mode's default (e.g. edit has no mini)."""
        paths = models_for(mode, self.tier)
        return paths[0] if paths else default_model(mode)

    def request_for(
        self, index: int, *, previous_frame: Any = None, previous_video: Any = None
    ) -> RequestBase:
        """Shot ``index`` as a request; errors name the shot. Dependent media may be given
        (the previous shot's last frame or footage), else a placeholder stands in."""
        shot = self.shots[index]
        mode = self.mode_of(index)
        try:
            if mode == "video-extend":
                return VideoExtendRequest(
                    prompt=shot.full_prompt,
                    video=previous_video or PENDING_VIDEO,
                    duration=shot.duration,
                    resolution=self.resolution,
                    generate_audio=self.generate_audio,
                    model=self.model_for(mode),
                )
            if mode == "image-to-video":
                return ImageToVideoRequest(
                    prompt=shot.full_prompt,
                    image=shot.image if shot.join == "cut" else previous_frame or PENDING_FRAME,
                    aspect_ratio=self.aspect_ratio,
                    resolution=self.resolution,
                    duration=shot.duration,
                    generate_audio=self.generate_audio,
                    model=self.model_for(mode),
                )
            return TextToVideoRequest(
                prompt=shot.full_prompt,
                aspect_ratio=self.aspect_ratio,
                resolution=self.resolution,
                duration=shot.duration,
                generate_audio=self.generate_audio,
                reference_images=self.reference_images,
                reference_videos=self.reference_videos,
                reference_audios=self.reference_audios,
                model=self.model_for(mode),
            )
        except InvalidRequestError as exc:
            raise InvalidRequestError(
                f"shots[{index}].{exc.field}", exc.value, exc.allowed, reason=exc.reason
            ) from None

    def chains(self) -> list[list[int]]:
        """Shots grouped so that each group depends only on itself: a ``cut`` starts a new
        group, ``continue``/``extend`` follow their previous shot. Groups run concurrently."""
        groups: list[list[int]] = []
        for index, shot in enumerate(self.shots):
            if shot.join == "cut":
                groups.append([index])
            else:
                groups[-1].append(index)
        return groups

    @property
    def seconds(self) -> int:
        return sum(shot.duration for shot in self.shots)


def _resolve(value: Any, base: Path | None) -> Any:
    """A relative local path in a board file is relative to the file, not the cwd."""
    local = isinstance(value, str) and "://" not in value and not value.startswith("data:")
    if local and base is not None and not os.path.isabs(value):
        return str(base / value)
    return value
