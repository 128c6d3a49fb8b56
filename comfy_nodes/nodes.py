"""The Seedance nodes as ComfyUI classes: glue only (the work is in ``runner.py``).

The four generation nodes are declared here; the three story nodes (last frame,
concatenation, storyboard) in ``story_nodes.py``, registered beside them.

Each node is declared twice from its one input table (:mod:`.node_kinds`). The V3
declaration (``comfy_api.latest``: schema with a price badge, async ``execute``, VIDEO out
pointing at the MP4 file) is used wherever ComfyUI has it. The V1 one
(``NODE_CLASS_MAPPINGS``) serves older builds, which have no VIDEO type to return, so it
returns decoded frames, AUDIO and fps (its VIDEO inputs take whatever VIDEO those builds
have: anything with ``get_stream_source`` or ``save_to``).

No node declares ``fingerprint_inputs`` / ``IS_CHANGED``: ComfyUI then re-uses its cached
outputs whenever the inputs (seed included) are unchanged, so a re-queue costs nothing,
and a new seed (``control_after_generate``) runs again, as with ComfyUI's own API nodes.
No node has an API-key input, by design (see ``settings.py``).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from .conversions import video_to_components
from .host import ComfyHost
from .inputs import v1_input_types, v3_inputs
from .job import GenerationResult, NodeJob
from .node_kinds import (
    ASPECT_RATIO_OPTIONS,
    CATEGORY,
    IMAGE_TO_VIDEO,
    KINDS,
    NodeKind,
    kind_for,
)
from .price_badge import make_price_badge
from .runner import generate_video, run_blocking
from .settings import load_settings
from .story_nodes import STORY_DISPLAY_NAMES, STORY_V1_CLASSES, make_story_v3_nodes

__all__ = [
    "ASPECT_RATIO_OPTIONS",
    "CATEGORY",
    "DISPLAY_NAME",
    "INPUTS",
    "NODE_ID",
    "V1_CLASSES",
    "build_job",
    "load_v3",
    "make_v3_classes",
    "make_v3_nodes",
    "run_node",
]

logger = logging.getLogger(__name__)

#: The first node's names, kept for code that imported them.
NODE_ID = IMAGE_TO_VIDEO.node_id
DISPLAY_NAME = IMAGE_TO_VIDEO.display_name
INPUTS = IMAGE_TO_VIDEO.inputs


def build_job(node_id: str, scratch: Path, **values: Any) -> NodeJob:
    """Socket values of node ``node_id`` -> a validated :class:`NodeJob` (nothing paid)."""
    return kind_for(node_id).job(values, scratch)


async def run_node(kind: NodeKind, node_id: str | None, **values: Any) -> GenerationResult:
    """Validate inputs, then look up the key, then generate: in that order, before paying."""
    scratch = Path(tempfile.mkdtemp(prefix="seedance-inputs-"))
    try:
        job = kind.job(values, scratch)  # bad input is reported before the key is looked up
        settings = load_settings()
        result = await generate_video(job, settings, ComfyHost(node_id))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    logger.info("seedance: %s %s", kind.node_id, result.info_json())
    return result


def _v3_node(io: Any, latest: ModuleType, kind: NodeKind, control: Any) -> type:
    video_from_file = latest.InputImpl.VideoFromFile
    badge = make_price_badge(io, kind)
    extra: dict[str, Any] = {"price_badge": badge, "is_api_node": True} if badge else {}

    class Node(io.ComfyNode):  # type: ignore[misc, name-defined]
        """V3 declaration; ``execute`` is async so ComfyUI's event loop never blocks."""

        @classmethod
        def define_schema(cls) -> Any:
            return io.Schema(
                node_id=kind.node_id,
                display_name=kind.display_name,
                category=CATEGORY,
                description=kind.description,
                search_aliases=list(kind.aliases),
                inputs=v3_inputs(io, control, kind.inputs),
                outputs=[
                    io.Video.Output(display_name="video"),
                    io.String.Output(display_name="video_url"),
                    io.String.Output(
                        display_name="info",
                        tooltip="JSON: prediction_id, model, seconds, price_usd, "
                        "price_source (api or table), currency, video_url, new_charge.",
                    ),
                ],
                hidden=[io.Hidden.unique_id],
                **extra,
            )

        @classmethod
        async def execute(cls, **values: Any) -> Any:
            node_id = getattr(getattr(cls, "hidden", None), "unique_id", None)
            result = await run_node(kind, node_id, **values)
            return io.NodeOutput(
                video_from_file(str(result.video_path)), result.url, result.info_json()
            )

    Node.__name__ = Node.__qualname__ = kind.node_id
    return Node


def make_v3_nodes(latest: ModuleType) -> dict[str, type]:
    """The V3 node classes, by node id, built against a ``comfy_api.latest`` module.

    Built by a function (not at import time) so tests can pass a stand-in module and
    ComfyUI-less installs never touch ``comfy_api``.
    """
    io = latest.IO
    # "fixed" after each run: queueing again re-uses the result instead of paying for a
    # new seed; the user changes the seed on purpose. Older ComfyUI: plain True.
    control = getattr(getattr(io, "ControlAfterGenerate", None), "fixed", True)
    if getattr(io, "PriceBadge", None) is None:
        logger.info("seedance: this ComfyUI has no PriceBadge; the nodes show no price badge")
    nodes = {kind.node_id: _v3_node(io, latest, kind, control) for kind in KINDS}
    return {**nodes, **make_story_v3_nodes(latest, control)}


def make_v3_classes(latest: ModuleType) -> tuple[type, type]:
    """``(SeedanceImageToVideo, extension)``: the first node and the extension listing all."""
    nodes = make_v3_nodes(latest)

    class SeedanceExtension(latest.ComfyExtension):  # type: ignore[misc, name-defined]
        """What ``comfy_entrypoint`` hands to ComfyUI."""

        async def get_node_list(self) -> list[type]:
            return list(nodes.values())

    return nodes[NODE_ID], SeedanceExtension


def _v1_class(kind: NodeKind) -> type:
    outputs = ("IMAGE", "AUDIO", "FLOAT", "STRING") + (("STRING",) if kind.v1_info else ())
    names = ("frames", "audio", "fps", "video_url") + (("info",) if kind.v1_info else ())

    def generate(self: Any, unique_id: str | None = None, **values: Any) -> tuple[Any, ...]:
        """Blocking in V1 by necessity (old ComfyUI calls nodes synchronously)."""
        result = run_blocking(run_node(kind, unique_id, **values))
        frames, audio, fps = video_to_components(result.video_path)
        info = (result.info_json(),) if kind.v1_info else ()
        return (frames, audio, fps, result.url, *info)

    return type(
        f"{kind.node_id}V1",
        (),
        {
            "__doc__": f"V1 declaration of {kind.node_id} for ComfyUI builds without "
            "comfy_api.latest (no VIDEO type to return).",
            "CATEGORY": CATEGORY,
            "DESCRIPTION": kind.description,
            "FUNCTION": "generate",
            "RETURN_TYPES": outputs,
            "RETURN_NAMES": names,
            "INPUT_TYPES": classmethod(lambda cls: v1_input_types(kind.inputs)),
            "generate": generate,
        },
    )


#: The V1 classes by node id. ``SeedanceImageToVideo`` keeps its first four outputs only:
#: callers of its V1 ``generate`` unpack exactly four values.
V1_CLASSES: dict[str, type] = {
    **{kind.node_id: _v1_class(kind) for kind in KINDS},
    **STORY_V1_CLASSES,
}
SeedanceImageToVideoV1 = V1_CLASSES["SeedanceImageToVideo"]
SeedanceTextToVideoV1 = V1_CLASSES["SeedanceTextToVideo"]
SeedanceVideoExtendV1 = V1_CLASSES["SeedanceVideoExtend"]
SeedanceVideoEditV1 = V1_CLASSES["SeedanceVideoEdit"]
DISPLAY_NAMES: dict[str, str] = {
    **{kind.node_id: kind.display_name for kind in KINDS},
    **STORY_DISPLAY_NAMES,
}


def load_v3() -> ModuleType | None:
    """``comfy_api.latest`` if the running ComfyUI has it (and it imports), else ``None``."""
    try:
        import comfy_api.latest as latest  # type: ignore[import-not-found, unused-ignore]
    except Exception:  # ImportError, or a partial/old comfy_api failing on import
        return None
    required = ("IO", "ComfyExtension", "InputImpl")
    return latest if all(hasattr(latest, name) for name in required) else None
