"""The story nodes as ComfyUI classes: last frame, concatenation, storyboard (glue only).

Like the generation nodes, each is declared twice from one input table (V3 schema, and
V1 ``INPUT_TYPES`` for ComfyUI builds without ``comfy_api.latest``); the work is in
:mod:`.story_run`. ``SeedanceLastFrame`` and ``SeedanceConcatVideos`` are free and local
(no key, no badge); ``SeedanceStoryboard`` is an API node with the whole board's price
badge (:mod:`.story_badge`). V1 builds have no VIDEO type to return, so there a film is
returned as frames + AUDIO + fps, as the generation nodes do.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from shared_client import RESOLUTIONS
from shared_client import STORY_TIERS as TIERS

from .conversions import png_to_tensor, video_to_components
from .host import ComfyHost
from .inputs import MAX_SEED, InputSpec, reference_counts, v1_input_types, v3_inputs
from .runner import run_blocking
from .settings import load_settings
from .story_badge import BOARD, make_story_badge
from .story_run import Stitched, StoryOutcome, concat_videos, last_frame, parse_story, run_story

__all__ = ["STORY_DISPLAY_NAMES", "STORY_NODE_IDS", "STORY_V1_CLASSES", "make_story_v3_nodes"]

logger = logging.getLogger(__name__)

LAST_FRAME, CONCAT, STORYBOARD = "SeedanceLastFrame", "SeedanceConcatVideos", "SeedanceStoryboard"
STORY_NODE_IDS = (LAST_FRAME, CONCAT, STORYBOARD)
STORY_DISPLAY_NAMES = {
    LAST_FRAME: "Seedance Last Frame",
    CONCAT: "Seedance Concat Videos",
    STORYBOARD: "Seedance 2.0 Storyboard (WaveSpeed)",
}
#: Sockets of the concatenation node; two are required, chain two nodes for more.
CONCAT_SOCKETS = 8

DEFAULT_BOARD = """title: Product story
tier: mini
resolution: 480p
aspect_ratio: "16:9"
generate_audio: true
shots:
  - prompt: "a sneaker on a white pedestal, studio light, slow turn"
    duration: 4
  - prompt: "the camera pulls back to reveal the whole shop"
    duration: 4
    join: continue
  - prompt: "a runner laces the sneaker up and sprints away"
    duration: 4
"""

LAST_FRAME_INPUTS = (
    InputSpec(
        "video",
        "VIDEO",
        "Any video (e.g. a Seedance node's output); its last frame is decoded exactly, the "
        "frame a 'continue' shot starts from.",
    ),
)
CONCAT_INPUTS = tuple(
    InputSpec(
        f"video_{n}",
        "VIDEO",
        "Videos joined in socket order (gaps skipped). Shots with the same codec settings "
        "are joined without re-encoding; otherwise re-encoded at the first one's size.",
        optional=n > 2,
    )
    for n in range(1, CONCAT_SOCKETS + 1)
)
STORYBOARD_INPUTS = (
    InputSpec(
        "storyboard",
        "STRING",
        "The board as YAML or JSON (docs/stories.md): title, tier, resolution, aspect_ratio, "
        "generate_audio, references, and shots with prompt, duration, join (cut, continue, "
        "extend), image, camera. Relative paths are in ComfyUI's input folder.",
        default=DEFAULT_BOARD,
        multiline=True,
    ),
    InputSpec(
        "tier",
        "COMBO",
        "'board' keeps the board's tier; any other value overrides it (a cheap draft, then "
        "the final). The price badge reads this.",
        default=BOARD,
        options=(BOARD, *TIERS),
    ),
    InputSpec(
        "resolution",
        "COMBO",
        "'board' keeps the board's resolution; any other value overrides it.",
        default=BOARD,
        options=(BOARD, *RESOLUTIONS),
    ),
    InputSpec(
        "seed",
        "INT",
        "Re-run control: the same board, images and seed reuse the finished shots (no new "
        "charge); a new seed generates every shot again. Not sent to the API.",
        default=0,
        minimum=0,
        maximum=MAX_SEED,
        display="number",
        control_after_generate=True,
    ),
    *(
        InputSpec(
            f"reference_image_{n}",
            "IMAGE",
            "The board's reference images (the character sheet), numbered in socket order: "
            "the prompts name them @Image1, @Image2, ...",
            optional=True,
        )
        for n in range(1, reference_counts("text-to-video")["image"] + 1)
    ),
)
STORY_DESCRIPTIONS = {
    LAST_FRAME: "The exact last frame of a video (decoded, not a seek estimate), e.g. the "
    "start image of the next shot. Free and local.",
    CONCAT: "Join videos into one, with the stitching the storyboard uses (no re-encode when "
    "the clips share their codec settings; audio kept in sync). Free and local.",
    STORYBOARD: "A multi-shot film from one storyboard (YAML or JSON) with ByteDance Seedance "
    "2.0 served by WaveSpeedAI: every shot validated and priced first, independent shots in "
    "parallel, each shot paid once (a re-queue reuses finished shots), then stitched with a "
    "contact sheet. Needs WAVESPEED_API_KEY (or user/wavespeed.json); obeys max_cost_usd.",
}
TABLES = {LAST_FRAME: LAST_FRAME_INPUTS, CONCAT: CONCAT_INPUTS, STORYBOARD: STORYBOARD_INPUTS}


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="seedance-story-"))


def do_last_frame(values: dict[str, Any]) -> Any:
    scratch = _scratch()
    try:
        return png_to_tensor(last_frame(values.get("video"), scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def do_concat(values: dict[str, Any]) -> Stitched:
    scratch = _scratch()
    try:
        return concat_videos(values, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


async def do_storyboard(node_id: str | None, values: dict[str, Any]) -> StoryOutcome:
    """Validate the whole board, then look up the key, then price, reserve, generate."""
    job = parse_story(values)  # bad input is reported before the key is looked up
    settings = load_settings()
    outcome = await run_story(job, settings, ComfyHost(node_id))
    logger.info("seedance: %s %s", STORYBOARD, outcome.info_json())
    return outcome


def _sheet(outcome: StoryOutcome) -> Any:
    return png_to_tensor(outcome.result.contact_sheet.read_bytes())


def _v3_node(io: Any, latest: Any, node_id: str, control: Any) -> type:
    video_from_file = latest.InputImpl.VideoFromFile
    extra: dict[str, Any] = {}
    outputs: list[Any]
    if node_id == LAST_FRAME:
        outputs = [io.Image.Output(display_name="image")]
    elif node_id == CONCAT:
        outputs = [io.Video.Output(display_name="video"), io.String.Output(display_name="info")]
    else:
        badge = make_story_badge(io, STORYBOARD_INPUTS)
        extra = {"price_badge": badge, "is_api_node": True} if badge else {}
        outputs = [
            io.Video.Output(display_name="film"),
            io.Image.Output(display_name="contact_sheet"),
            io.String.Output(
                display_name="info",
                tooltip="JSON: title, seconds, price_usd, price_source (api or table), "
                "new_charge_usd, and per shot prediction_id, model, price_usd, reused.",
            ),
        ]

    class Node(io.ComfyNode):  # type: ignore[misc, name-defined]
        """V3 declaration; ``execute`` is async so ComfyUI's event loop never blocks."""

        @classmethod
        def define_schema(cls) -> Any:
            return io.Schema(
                node_id=node_id,
                display_name=STORY_DISPLAY_NAMES[node_id],
                category="partner/video/Seedance",
                description=STORY_DESCRIPTIONS[node_id],
                search_aliases=["seedance", "storyboard", "story", "last frame", "concat"],
                inputs=v3_inputs(io, control, TABLES[node_id]),
                outputs=outputs,
                hidden=[io.Hidden.unique_id],
                **extra,
            )

        @classmethod
        async def execute(cls, **values: Any) -> Any:
            import asyncio

            if node_id == LAST_FRAME:
                return io.NodeOutput(await asyncio.to_thread(do_last_frame, values))
            if node_id == CONCAT:
                done = await asyncio.to_thread(do_concat, values)
                return io.NodeOutput(video_from_file(str(done.path)), done.info_json())
            unique = getattr(getattr(cls, "hidden", None), "unique_id", None)
            outcome = await do_storyboard(unique, values)
            return io.NodeOutput(
                video_from_file(str(outcome.result.film)), _sheet(outcome), outcome.info_json()
            )

    Node.__name__ = Node.__qualname__ = node_id
    return Node


def make_story_v3_nodes(latest: Any, control: Any) -> dict[str, type]:
    io = latest.IO
    return {node_id: _v3_node(io, latest, node_id, control) for node_id in STORY_NODE_IDS}


def _v1_class(node_id: str) -> type:
    if node_id == LAST_FRAME:
        types, names = ("IMAGE",), ("image",)
    elif node_id == CONCAT:
        types, names = ("IMAGE", "AUDIO", "FLOAT", "STRING"), ("frames", "audio", "fps", "info")
    else:
        types = ("IMAGE", "AUDIO", "FLOAT", "IMAGE", "STRING")
        names = ("frames", "audio", "fps", "contact_sheet", "info")

    def run(self: Any, unique_id: str | None = None, **values: Any) -> tuple[Any, ...]:
        """Blocking in V1 by necessity (old ComfyUI calls nodes synchronously)."""
        if node_id == LAST_FRAME:
            return (do_last_frame(values),)
        if node_id == CONCAT:
            done = do_concat(values)
            return (*video_to_components(done.path), done.info_json())
        outcome = run_blocking(do_storyboard(unique_id, values))
        film = video_to_components(outcome.result.film)
        return (*film, _sheet(outcome), outcome.info_json())

    return type(
        f"{node_id}V1",
        (),
        {
            "__doc__": f"V1 declaration of {node_id} for ComfyUI builds without "
            "comfy_api.latest (no VIDEO type to return).",
            "CATEGORY": "partner/video/Seedance",
            "DESCRIPTION": STORY_DESCRIPTIONS[node_id],
            "FUNCTION": "run",
            "RETURN_TYPES": types,
            "RETURN_NAMES": names,
            "INPUT_TYPES": classmethod(lambda cls: v1_input_types(TABLES[node_id])),
            "run": run,
        },
    )


STORY_V1_CLASSES: dict[str, type] = {node_id: _v1_class(node_id) for node_id in STORY_NODE_IDS}
