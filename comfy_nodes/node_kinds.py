"""The four Seedance nodes as data: id, texts, input table, and how sockets become a request.

Why data and not four classes: the V3 and V1 declarations, the price badge and the
example-workflow checks are all generated from a :class:`NodeKind`, so the four nodes
cannot drift apart in how they validate, fingerprint, price or wait. A node's inputs are
declared once, in its ``inputs`` table (see :mod:`.inputs`); its ``build`` turns socket
values into one of the core's request types, which validates every field against the
catalogue before anything is paid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared_client import (
    ASPECT_RATIOS,
    ImageToVideoRequest,
    InvalidRequestError,
    TextToVideoRequest,
    VideoEditRequest,
    VideoExtendRequest,
)

from .conversions import first_image_as_png
from .errors import NodeInputError
from .inputs import (
    AUTO,
    MAX_SEED,
    InputSpec,
    duration_range,
    mode_values,
    model_options,
    reference_inputs,
)
from .job import GenerationRequest, NodeJob, fingerprint_fields
from .media_inputs import audio_as_wav, video_source

__all__ = ["KINDS", "NodeKind", "kind_for"]

#: Beside ComfyUI's own partner video nodes ("partner/video/ByteDance", ...).
CATEGORY = "partner/video/Seedance"
_KEY_NOTE = (
    "Needs WAVESPEED_API_KEY (or user/wavespeed.json); the key is never a node input. Same "
    "inputs and seed reuse the previous result without paying again."
)


def _default(request_type: type, name: str) -> Any:
    """A request field's default in the core (the API's documented default)."""
    return {f.name: f.default for f in dataclasses.fields(request_type)}[name]


def _prompt() -> InputSpec:
    return InputSpec(
        "prompt",
        "STRING",
        "Describe the scene, action, camera movement and mood.",
        default="",
        multiline=True,
    )


def _model(mode: str, tooltip: str) -> InputSpec:
    options = model_options(mode)
    return InputSpec("model", "COMBO", tooltip, default=options[0], options=options)


def _resolution(mode: str, request_type: type) -> InputSpec:
    options = mode_values(mode, "resolutions")
    default = _default(request_type, "resolution")
    return InputSpec("resolution", "COMBO", "Output resolution.", default=default, options=options)


def _duration(mode: str, request_type: type, tooltip: str) -> InputSpec:
    low, high = duration_range(mode)
    return InputSpec(
        "duration",
        "INT",
        tooltip.format(low=low, high=high),
        default=_default(request_type, "duration"),
        minimum=low,
        maximum=high,
        display="slider",
    )


def _flags(request_type: type) -> tuple[InputSpec, InputSpec]:
    return (
        InputSpec(
            "generate_audio",
            "BOOLEAN",
            "Generate native audio synchronised with the video.",
            default=_default(request_type, "generate_audio"),
        ),
        InputSpec(
            "enable_web_search",
            "BOOLEAN",
            "Let the model use web search for real-time information.",
            default=_default(request_type, "enable_web_search"),
        ),
    )


SEED = InputSpec(
    "seed",
    "INT",
    "Re-run control: the same inputs and seed reuse the previous video (no new charge); "
    "a new seed generates again. Not sent to the API, which takes no seed.",
    default=0,
    minimum=0,
    maximum=MAX_SEED,
    display="number",
    control_after_generate=True,
)


@dataclass(frozen=True)
class NodeKind:
    """One node: what ComfyUI shows, its input table, and its socket -> request step."""

    node_id: str
    display_name: str
    description: str
    mode: str
    inputs: tuple[InputSpec, ...]
    build: Callable[[dict[str, Any], Path], GenerationRequest]
    aliases: tuple[str, ...] = ()
    #: Whether the V1 fallback has the JSON ``info`` output (see ``nodes.py``).
    v1_info: bool = True

    def job(self, values: dict[str, Any], scratch: Path) -> NodeJob:
        """Validate socket values into a :class:`NodeJob`; raises :class:`NodeInputError`
        naming the field. ``scratch`` takes any VIDEO that must be written out as MP4."""
        seed = values.get("seed")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise NodeInputError(f"seed: expected an integer from 0 to {MAX_SEED}, got {seed!r}")
        try:
            request = self.build(values, scratch)
        except InvalidRequestError as exc:
            raise NodeInputError(str(exc)) from None
        widgets = {
            spec.name: values.get(spec.name)
            for spec in self.inputs
            if spec.is_widget and spec.name not in ("prompt", "model", "seed")
        }
        return NodeJob(request, fingerprint_fields(request, widgets), seed)

    def reference_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.inputs if s.name.startswith("reference_"))


def _connected(values: dict[str, Any], prefix: str) -> list[tuple[str, Any]]:
    """Connected numbered sockets (``prefix_1``, ``prefix_2``, ...) in socket order."""
    found = [(k, v) for k, v in values.items() if k.startswith(prefix) and v is not None]
    return sorted(found, key=lambda item: int(item[0].rsplit("_", 1)[1]))


def _references(values: dict[str, Any], scratch: Path) -> dict[str, tuple[Any, ...]]:
    return {
        "reference_images": tuple(
            first_image_as_png(v, field=k) for k, v in _connected(values, "reference_image_")
        ),
        "reference_videos": tuple(
            video_source(v, field=k, scratch=scratch)
            for k, v in _connected(values, "reference_video_")
        ),
        "reference_audios": tuple(
            audio_as_wav(v, field=k) for k, v in _connected(values, "reference_audio_")
        ),
    }


def _auto(value: Any) -> Any:
    return None if value == AUTO else value


def _text_to_video(values: dict[str, Any], scratch: Path) -> GenerationRequest:
    refs = _references(values, scratch)
    return TextToVideoRequest(
        prompt=values.get("prompt"),  # type: ignore[arg-type]
        aspect_ratio=values.get("aspect_ratio"),  # type: ignore[arg-type]
        resolution=values.get("resolution"),  # type: ignore[arg-type]
        # No int()/bool() coercion: 5.5 or "no" (possible in API-format workflows) must be
        # rejected by the request's validation, not silently become 5 or True.
        duration=values.get("duration"),  # type: ignore[arg-type]
        generate_audio=values.get("generate_audio"),  # type: ignore[arg-type]
        enable_web_search=values.get("enable_web_search"),  # type: ignore[arg-type]
        model=values.get("model"),  # type: ignore[arg-type]
        **refs,
    )


def _image_to_video(values: dict[str, Any], scratch: Path) -> GenerationRequest:
    last = values.get("last_image")
    return ImageToVideoRequest(
        prompt=values.get("prompt"),  # type: ignore[arg-type]
        image=first_image_as_png(values.get("image"), field="image"),  # type: ignore[arg-type]
        last_image=first_image_as_png(last, field="last_image") if last is not None else None,
        aspect_ratio=_auto(values.get("aspect_ratio")),
        resolution=values.get("resolution"),  # type: ignore[arg-type]
        duration=values.get("duration"),  # type: ignore[arg-type]
        enable_web_search=values.get("enable_web_search"),  # type: ignore[arg-type]
        generate_audio=values.get("generate_audio"),  # type: ignore[arg-type]
        model=values.get("model"),  # type: ignore[arg-type]
    )


def _video_extend(values: dict[str, Any], scratch: Path) -> GenerationRequest:
    last = values.get("last_image")
    return VideoExtendRequest(
        prompt=values.get("prompt"),  # type: ignore[arg-type]
        video=video_source(values.get("video"), field="video", scratch=scratch),
        last_image=first_image_as_png(last, field="last_image") if last is not None else None,
        duration=values.get("duration"),  # type: ignore[arg-type]
        resolution=values.get("resolution"),  # type: ignore[arg-type]
        enable_web_search=values.get("enable_web_search"),  # type: ignore[arg-type]
        generate_audio=values.get("generate_audio"),  # type: ignore[arg-type]
        model=values.get("model"),  # type: ignore[arg-type]
    )


def _edit_duration(value: Any) -> Any:
    """The edit node's duration combo: ``auto`` (the input's length) or whole seconds."""
    if value == AUTO or value is None:
        return None
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _video_edit(values: dict[str, Any], scratch: Path) -> GenerationRequest:
    refs = _references(values, scratch)
    return VideoEditRequest(
        prompt=values.get("prompt"),  # type: ignore[arg-type]
        video=video_source(values.get("video"), field="video", scratch=scratch),
        reference_images=refs["reference_images"],
        reference_audios=refs["reference_audios"],
        duration=_edit_duration(values.get("duration")),
        aspect_ratio=_auto(values.get("aspect_ratio")),
        model=values.get("model"),  # type: ignore[arg-type]
    )


_T2V, _I2V, _EXT, _EDIT = "text-to-video", "image-to-video", "video-extend", "video-edit"
_EDIT_LOW, _EDIT_HIGH = duration_range(_EDIT)

TEXT_TO_VIDEO = NodeKind(
    node_id="SeedanceTextToVideo",
    display_name="Seedance 2.0 Text to Video (WaveSpeed)",
    description="Generate a video from a prompt with ByteDance Seedance 2.0 served by "
    "WaveSpeedAI, optionally shaped by reference images, videos and audio (@Image1, "
    f"@Video1, @Audio1 in the prompt). {_KEY_NOTE}",
    mode=_T2V,
    inputs=(
        _prompt(),
        _model(_T2V, "Seedance 2.0 text-to-video path: standard, fast, mini, turbo tiers."),
        _resolution(_T2V, TextToVideoRequest),
        InputSpec(
            "aspect_ratio",
            "COMBO",
            "Output aspect ratio.",
            default=_default(TextToVideoRequest, "aspect_ratio"),
            options=mode_values(_T2V, "aspect_ratios"),
        ),
        _duration(_T2V, TextToVideoRequest, "Video length in seconds ({low}-{high})."),
        *_flags(TextToVideoRequest),
        SEED,
        *reference_inputs(_T2V, ("image", "video", "audio")),
    ),
    build=_text_to_video,
    aliases=("seedance", "wavespeed", "bytedance", "text to video", "reference to video"),
)

IMAGE_TO_VIDEO = NodeKind(
    node_id="SeedanceImageToVideo",
    display_name="Seedance 2.0 Image to Video (WaveSpeed)",
    description="Generate a video from a start image (and optional last image) with "
    f"ByteDance Seedance 2.0 served by WaveSpeedAI. {_KEY_NOTE}",
    mode=_I2V,
    inputs=(
        InputSpec("image", "IMAGE", "Start frame. Only the first image of a batch is used."),
        _prompt(),
        _model(_I2V, "Seedance 2.0 image-to-video tier: mini (cheapest), standard, or fast."),
        _resolution(_I2V, ImageToVideoRequest),
        InputSpec(
            "aspect_ratio",
            "COMBO",
            "Output aspect ratio; 'auto' adapts to the input image.",
            default=AUTO,
            options=(AUTO, *mode_values(_I2V, "aspect_ratios")),
        ),
        _duration(_I2V, ImageToVideoRequest, "Video length in seconds ({low}-{high})."),
        *_flags(ImageToVideoRequest),
        SEED,
        InputSpec("last_image", "IMAGE", "Optional last frame for the video.", optional=True),
    ),
    build=_image_to_video,
    aliases=("seedance", "wavespeed", "bytedance", "image to video"),
    v1_info=False,
)

VIDEO_EXTEND = NodeKind(
    node_id="SeedanceVideoExtend",
    display_name="Seedance 2.0 Video Extend (WaveSpeed)",
    description="Continue a video from its last frame with ByteDance Seedance 2.0 served by "
    "WaveSpeedAI; the output is the input followed by the new seconds, and only the new "
    f"seconds are billed. {_KEY_NOTE}",
    mode=_EXT,
    inputs=(
        InputSpec(
            "video",
            "VIDEO",
            "The video to continue (e.g. LoadVideo, or a Seedance node's video output). An "
            "MP4/MOV file is uploaded as is, without decoding.",
        ),
        _prompt(),
        _model(_EXT, "Seedance 2.0 video-extend tier: standard, fast or mini."),
        _resolution(_EXT, VideoExtendRequest),
        _duration(
            _EXT,
            VideoExtendRequest,
            "New seconds to add ({low}-{high}); only these are billed.",
        ),
        *_flags(VideoExtendRequest),
        SEED,
        InputSpec("last_image", "IMAGE", "Optional target last frame.", optional=True),
    ),
    build=_video_extend,
    aliases=("seedance", "wavespeed", "bytedance", "extend video", "continue video"),
)

VIDEO_EDIT = NodeKind(
    node_id="SeedanceVideoEdit",
    display_name="Seedance 2.0 Video Edit (WaveSpeed)",
    description="Edit a video as the prompt says with ByteDance Seedance 2.0 served by "
    "WaveSpeedAI, optionally with reference images and audio; inputs longer than "
    f"{_EDIT_HIGH} s are trimmed. {_KEY_NOTE}",
    mode=_EDIT,
    inputs=(
        InputSpec(
            "video",
            "VIDEO",
            "The video to edit. An MP4/MOV file is uploaded as is, without decoding.",
        ),
        _prompt(),
        _model(_EDIT, "Seedance 2.0 video-edit path."),
        InputSpec(
            "duration",
            "COMBO",
            f"Output length in seconds; 'auto' keeps the input's length (at most {_EDIT_HIGH}).",
            default=AUTO,
            options=(AUTO, *(str(s) for s in range(_EDIT_LOW, _EDIT_HIGH + 1))),
        ),
        InputSpec(
            "aspect_ratio",
            "COMBO",
            "Output aspect ratio; 'auto' keeps the input's.",
            default=AUTO,
            options=(AUTO, *mode_values(_EDIT, "aspect_ratios")),
        ),
        SEED,
        *reference_inputs(_EDIT, ("image", "audio")),
    ),
    build=_video_edit,
    aliases=("seedance", "wavespeed", "bytedance", "edit video", "restyle video"),
)

#: Every node, in the order ComfyUI lists them.
KINDS: tuple[NodeKind, ...] = (TEXT_TO_VIDEO, IMAGE_TO_VIDEO, VIDEO_EXTEND, VIDEO_EDIT)

ASPECT_RATIO_OPTIONS: tuple[str, ...] = (AUTO, *ASPECT_RATIOS)


def kind_for(node_id: str) -> NodeKind:
    return next(kind for kind in KINDS if kind.node_id == node_id)
