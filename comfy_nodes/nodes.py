"""The ``SeedanceImageToVideo`` node: ComfyUI glue only (the work is in ``runner.py``).

Two declarations of one node. The V3 one (``comfy_api.latest``: schema, async
``execute``, VIDEO output pointing at the MP4 file) is used wherever ComfyUI has it.
The V1 one (``NODE_CLASS_MAPPINGS``) serves older ComfyUI builds, which have no VIDEO
type, so it returns decoded frames, AUDIO and fps. Both generate their inputs from one
table, :data:`INPUTS`, so a changed default, range or tooltip cannot reach only one.

Neither declares ``fingerprint_inputs`` / ``IS_CHANGED``: ComfyUI then re-uses its
cached outputs whenever the inputs (seed included) are unchanged, so a re-queue costs
nothing, and a new seed (``control_after_generate``) runs again, as with ComfyUI's own
API nodes. Neither has an API-key input, by design (see ``settings.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from shared_client import (
    ASPECT_RATIOS,
    DEFAULT_MODEL,
    IMAGE_TO_VIDEO_MODELS,
    MAX_DURATION,
    MIN_DURATION,
    RESOLUTIONS,
)

from .conversions import first_image_as_png, video_to_components
from .errors import NodeInputError
from .host import ComfyHost
from .runner import (
    AUTO_ASPECT_RATIO,
    GenerationInputs,
    GenerationResult,
    generate_video,
    run_blocking,
)
from .settings import load_settings

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

NODE_ID = "SeedanceImageToVideo"
DISPLAY_NAME = "Seedance 2.0 Image to Video (WaveSpeed)"
#: Beside ComfyUI's own partner video nodes ("partner/video/ByteDance", ...).
CATEGORY = "partner/video/Seedance"
DESCRIPTION = (
    "Generate a video from a start image (and optional last image) with ByteDance Seedance 2.0 "
    "served by WaveSpeedAI. Needs WAVESPEED_API_KEY (or user/wavespeed.json); the key is never "
    "a node input. Same inputs and seed reuse the previous result without paying again."
)
ASPECT_RATIO_OPTIONS: tuple[str, ...] = (AUTO_ASPECT_RATIO, *ASPECT_RATIOS)
MAX_SEED = 2_147_483_647


@dataclass(frozen=True)
class InputSpec:
    """One node input, in terms both declarations are generated from.

    ``kind`` is the ComfyUI type (IMAGE, STRING, COMBO, INT, BOOLEAN); ``display`` is the
    INT widget (slider or number); ``control_after_generate`` adds the seed control.
    """

    name: str
    kind: str
    tooltip: str
    default: Any = None
    options: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    display: str | None = None
    multiline: bool = False
    control_after_generate: bool = False
    optional: bool = False


#: The node's inputs, in socket order: the single declaration behind V3 and V1.
INPUTS: tuple[InputSpec, ...] = (
    InputSpec("image", "IMAGE", "Start frame. Only the first image of a batch is used."),
    InputSpec(
        "prompt",
        "STRING",
        "Describe the scene, action, camera movement and mood.",
        default="",
        multiline=True,
    ),
    InputSpec(
        "model",
        "COMBO",
        "Seedance 2.0 image-to-video tier: mini (cheapest), standard, or fast.",
        default=DEFAULT_MODEL,
        options=IMAGE_TO_VIDEO_MODELS,
    ),
    InputSpec("resolution", "COMBO", "Output resolution.", default="720p", options=RESOLUTIONS),
    InputSpec(
        "aspect_ratio",
        "COMBO",
        "Output aspect ratio; 'auto' adapts to the input image.",
        default=AUTO_ASPECT_RATIO,
        options=ASPECT_RATIO_OPTIONS,
    ),
    InputSpec(
        "duration",
        "INT",
        f"Video length in seconds ({MIN_DURATION}-{MAX_DURATION}).",
        default=5,
        minimum=MIN_DURATION,
        maximum=MAX_DURATION,
        display="slider",
    ),
    InputSpec(
        "generate_audio",
        "BOOLEAN",
        "Generate native audio synchronised with the video.",
        default=True,
    ),
    InputSpec(
        "enable_web_search",
        "BOOLEAN",
        "Let the model use web search for real-time information.",
        default=False,
    ),
    InputSpec(
        "seed",
        "INT",
        "Re-run control: the same inputs and seed reuse the previous video (no new charge); "
        "a new seed generates again. Not sent to the API, which takes no seed.",
        default=0,
        minimum=0,
        maximum=MAX_SEED,
        display="number",
        control_after_generate=True,
    ),
    InputSpec("last_image", "IMAGE", "Optional last frame for the video.", optional=True),
)


def _widget_options(spec: InputSpec) -> dict[str, Any]:
    """The widget options both APIs share, under their V3 keyword names."""
    if spec.kind == "STRING":
        return {"multiline": spec.multiline, "default": spec.default}
    if spec.kind in ("COMBO", "BOOLEAN"):
        return {"default": spec.default}
    if spec.kind == "INT":
        return {"default": spec.default, "min": spec.minimum, "max": spec.maximum, "step": 1}
    return {}


def v3_inputs(io: Any, control: Any) -> list[Any]:
    """``io.*.Input`` objects for the V3 schema; ``control`` is the seed's control value."""
    sockets = {
        "IMAGE": io.Image,
        "STRING": io.String,
        "COMBO": io.Combo,
        "INT": io.Int,
        "BOOLEAN": io.Boolean,
    }
    inputs = []
    for spec in INPUTS:
        options = _widget_options(spec)
        if spec.kind == "COMBO":
            options["options"] = list(spec.options)
        if spec.display is not None:
            options["display_mode"] = getattr(io.NumberDisplay, spec.display)
        if spec.control_after_generate:
            options["control_after_generate"] = control
        if spec.optional:
            options["optional"] = True
        inputs.append(sockets[spec.kind].Input(spec.name, tooltip=spec.tooltip, **options))
    return inputs


def v1_input_types() -> dict[str, Any]:
    """``INPUT_TYPES`` for the V1 declaration (a combo's type is its list of options)."""
    required: dict[str, Any] = {}
    optional: dict[str, Any] = {}
    for spec in INPUTS:
        options = _widget_options(spec)
        if spec.display is not None:
            options["display"] = spec.display
        if spec.control_after_generate:
            options["control_after_generate"] = True  # V1 has no "fixed" value to name
        options["tooltip"] = spec.tooltip
        kind: Any = list(spec.options) if spec.kind == "COMBO" else spec.kind
        (optional if spec.optional else required)[spec.name] = (kind, options)
    return {"required": required, "optional": optional, "hidden": {"unique_id": "UNIQUE_ID"}}


def build_inputs(
    *,
    image: torch.Tensor,
    prompt: str,
    model: str,
    resolution: str,
    aspect_ratio: str,
    duration: int,
    generate_audio: bool,
    enable_web_search: bool,
    seed: int,
    last_image: torch.Tensor | None = None,
) -> GenerationInputs:
    """Convert socket values into :class:`GenerationInputs` (images become PNG bytes)."""
    return GenerationInputs(
        prompt=prompt,
        image_png=first_image_as_png(image, field="image"),
        last_image_png=(
            first_image_as_png(last_image, field="last_image") if last_image is not None else None
        ),
        model=model,
        resolution=resolution,
        aspect_ratio=aspect_ratio,
        # No int()/bool() coercion: 5.5 or "no" (possible in API-format workflows) must be
        # rejected by the request's validation, not silently become 5 or True.
        duration=duration,
        generate_audio=generate_audio,
        enable_web_search=enable_web_search,
        seed=_checked_seed(seed),
    )


def _checked_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise NodeInputError(f"seed: expected an integer from 0 to {MAX_SEED}, got {seed!r}")
    return seed


async def run_node(node_id: str | None, **node_inputs: Any) -> GenerationResult:
    """Validate inputs, then look up the key, then generate: in that order, before paying."""
    inputs = build_inputs(**node_inputs)
    inputs.to_request()  # bad input is reported before the key is even looked up
    settings = load_settings()
    return await generate_video(inputs, settings, ComfyHost(node_id))


def make_v3_classes(latest: ModuleType) -> tuple[type, type]:
    """Build the V3 node and extension classes against a ``comfy_api.latest`` module.

    Built by a function (not at import time) so tests can pass a stand-in module and
    ComfyUI-less installs never touch ``comfy_api``.
    """
    io = latest.IO
    video_from_file = latest.InputImpl.VideoFromFile
    # "fixed" after each run: queueing again re-uses the result instead of paying for a
    # new seed; the user changes the seed on purpose. Older ComfyUI: plain True.
    control = getattr(getattr(io, "ControlAfterGenerate", None), "fixed", True)

    class SeedanceImageToVideo(io.ComfyNode):  # type: ignore[misc, name-defined]
        """V3 declaration; ``execute`` is async so ComfyUI's event loop never blocks."""

        @classmethod
        def define_schema(cls) -> Any:
            return io.Schema(
                node_id=NODE_ID,
                display_name=DISPLAY_NAME,
                category=CATEGORY,
                description=DESCRIPTION,
                search_aliases=["seedance", "wavespeed", "bytedance", "image to video"],
                inputs=v3_inputs(io, control),
                outputs=[
                    io.Video.Output(display_name="video"),
                    io.String.Output(display_name="video_url"),
                ],
                hidden=[io.Hidden.unique_id],
            )

        @classmethod
        async def execute(
            cls,
            image: Any,
            prompt: str,
            model: str,
            resolution: str,
            aspect_ratio: str,
            duration: int,
            generate_audio: bool,
            enable_web_search: bool,
            seed: int,
            last_image: Any = None,
        ) -> Any:
            hidden = getattr(cls, "hidden", None)
            node_id = getattr(hidden, "unique_id", None)
            result = await run_node(
                node_id,
                image=image,
                prompt=prompt,
                model=model,
                resolution=resolution,
                aspect_ratio=aspect_ratio,
                duration=duration,
                generate_audio=generate_audio,
                enable_web_search=enable_web_search,
                seed=seed,
                last_image=last_image,
            )
            return io.NodeOutput(video_from_file(str(result.video_path)), result.url)

    class SeedanceExtension(latest.ComfyExtension):  # type: ignore[misc, name-defined]
        """What ``comfy_entrypoint`` hands to ComfyUI."""

        async def get_node_list(self) -> list[type]:
            return [SeedanceImageToVideo]

    return SeedanceImageToVideo, SeedanceExtension


class SeedanceImageToVideoV1:
    """V1 declaration for ComfyUI builds without ``comfy_api.latest`` (no VIDEO type)."""

    CATEGORY = CATEGORY
    DESCRIPTION = DESCRIPTION
    FUNCTION = "generate"
    RETURN_TYPES = ("IMAGE", "AUDIO", "FLOAT", "STRING")
    RETURN_NAMES = ("frames", "audio", "fps", "video_url")

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return v1_input_types()

    def generate(self, unique_id: str | None = None, **node_inputs: Any) -> tuple[Any, ...]:
        """Blocking in V1 by necessity (old ComfyUI calls nodes synchronously)."""
        result = run_blocking(run_node(unique_id, **node_inputs))
        frames, audio, fps = video_to_components(result.video_path)
        return frames, audio, fps, result.url


def load_v3() -> ModuleType | None:
    """``comfy_api.latest`` if the running ComfyUI has it (and it imports), else ``None``."""
    try:
        import comfy_api.latest as latest  # type: ignore[import-not-found, unused-ignore]
    except Exception:  # ImportError, or a partial/old comfy_api failing on import
        return None
    required = ("IO", "ComfyExtension", "InputImpl")
    return latest if all(hasattr(latest, name) for name in required) else None
