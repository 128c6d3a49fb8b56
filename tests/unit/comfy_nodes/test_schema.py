"""The nodes' declared interface (V3 against the stand-in ``comfy_api.latest``, and V1)."""

from __future__ import annotations

import asyncio
from types import ModuleType, SimpleNamespace

import pytest

from comfy_nodes.nodes import (
    ASPECT_RATIO_OPTIONS,
    NODE_ID,
    V1_CLASSES,
    SeedanceImageToVideoV1,
    make_v3_classes,
    make_v3_nodes,
)
from shared_client import IMAGE_TO_VIDEO_MODELS, MODELS, models_for

NODE_IDS = [
    "SeedanceTextToVideo",
    "SeedanceImageToVideo",
    "SeedanceVideoExtend",
    "SeedanceVideoEdit",
]
STORY_IDS = ["SeedanceLastFrame", "SeedanceConcatVideos", "SeedanceStoryboard"]
EXPECTED_I2V_INPUTS = [
    "image",
    "prompt",
    "model",
    "resolution",
    "aspect_ratio",
    "duration",
    "generate_audio",
    "enable_web_search",
    "seed",
    "last_image",
]


def test_the_node_ids_are_the_contract(fake_latest: ModuleType) -> None:
    nodes = make_v3_nodes(fake_latest)
    assert list(nodes) == NODE_IDS + STORY_IDS == list(V1_CLASSES)
    for node_id in NODE_IDS:
        node = nodes[node_id]
        schema = node.define_schema()
        assert schema.node_id == node_id and schema.category == "partner/video/Seedance"
        assert [o.io_type for o in schema.outputs] == ["VIDEO", "STRING", "STRING"]
        assert [o.options["display_name"] for o in schema.outputs] == ["video", "video_url", "info"]
        assert schema.is_api_node is True  # the frontend draws price badges on API nodes only
        assert schema.price_badge is not None and schema.price_badge.engine == "jsonata"


def test_image_to_video_keeps_its_id_inputs_and_first_outputs(fake_latest: ModuleType) -> None:
    node, _ = make_v3_classes(fake_latest)
    schema = node.define_schema()
    assert schema.node_id == NODE_ID == "SeedanceImageToVideo"
    assert schema.display_name == "Seedance 2.0 Image to Video (WaveSpeed)"
    inputs = {i.id: i for i in schema.inputs}
    assert list(inputs) == EXPECTED_I2V_INPUTS
    assert inputs["image"].io_type == "IMAGE" and inputs["last_image"].io_type == "IMAGE"
    assert inputs["last_image"].options["optional"] is True
    assert inputs["prompt"].options["multiline"] is True
    # the tier choice: every image-to-video path of the catalogue, the default first
    assert inputs["model"].options["options"] == list(IMAGE_TO_VIDEO_MODELS)
    assert set(IMAGE_TO_VIDEO_MODELS) == set(models_for("image-to-video"))
    assert inputs["aspect_ratio"].options["options"] == list(ASPECT_RATIO_OPTIONS)
    duration = inputs["duration"].options
    assert (duration["min"], duration["max"]) == (4, 15)
    assert duration["display_mode"] == fake_latest.IO.NumberDisplay.slider
    # a seed control that stays "fixed": queueing again never silently pays for a new seed
    assert inputs["seed"].options["control_after_generate"] == "fixed"


def test_reference_sockets_follow_the_catalogues_limits(fake_latest: ModuleType) -> None:
    nodes = make_v3_nodes(fake_latest)
    limits = MODELS["bytedance/seedance-2.0/text-to-video"].references
    assert limits is not None
    t2v = [(i.id, i.io_type) for i in nodes["SeedanceTextToVideo"].define_schema().inputs]
    for kind, socket, most in (
        ("image", "IMAGE", limits.max_images),
        ("video", "VIDEO", limits.max_videos),
        ("audio", "AUDIO", limits.max_audios),
    ):
        names = [n for n, t in t2v if n.startswith(f"reference_{kind}_")]
        assert names == [f"reference_{kind}_{i}" for i in range(1, most + 1)]
        assert {t for n, t in t2v if n in names} == {socket}
    assert (limits.max_images, limits.max_videos, limits.max_audios) == (9, 3, 3)
    edit = [i.id for i in nodes["SeedanceVideoEdit"].define_schema().inputs]
    assert "reference_video_1" not in edit and "reference_audio_3" in edit
    extend = {i.id: i for i in nodes["SeedanceVideoExtend"].define_schema().inputs}
    assert extend["video"].io_type == "VIDEO" and "optional" not in extend["video"].options
    assert extend["model"].options["options"][0] == "bytedance/seedance-2.0/video-extend"


def test_no_input_can_carry_a_key(fake_latest: ModuleType) -> None:
    names: list[str] = []
    for node in make_v3_nodes(fake_latest).values():
        names += [i.id for i in node.define_schema().inputs]
    for v1 in V1_CLASSES.values():
        spec = v1.INPUT_TYPES()
        names += list(spec["required"]) + list(spec["optional"])
    assert not [n for n in names if "key" in n.lower() or "token" in n.lower()]


def test_no_node_overrides_fingerprint_inputs_so_comfyui_caches_by_inputs(
    fake_latest: ModuleType,
) -> None:
    # ComfyUI's execution.py only consults fingerprint_inputs when a subclass overrides
    # it; without an override identical inputs (seed included) reuse cached outputs.
    for node in make_v3_nodes(fake_latest).values():
        assert "fingerprint_inputs" not in vars(node)
        assert node.define_schema().not_idempotent is False
    assert not any(hasattr(v1, "IS_CHANGED") for v1 in V1_CLASSES.values())


def test_extension_lists_every_node(fake_latest: ModuleType) -> None:
    node, extension = make_v3_classes(fake_latest)
    listed = asyncio.run(extension().get_node_list())
    assert [n.define_schema().node_id for n in listed] == NODE_IDS + STORY_IDS and node in listed


def test_a_comfyui_without_price_badges_gets_the_nodes_without_one(
    fake_latest: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    io = {k: v for k, v in vars(fake_latest.IO).items() if not k.startswith("PriceBadge")}
    older = SimpleNamespace(**{**vars(fake_latest), "IO": SimpleNamespace(**io)})
    with caplog.at_level("INFO", logger="comfy_nodes.nodes"):
        nodes = make_v3_nodes(older)  # type: ignore[arg-type]
    for node in nodes.values():
        schema = node.define_schema()
        assert getattr(schema, "price_badge", None) is None and schema.is_api_node is False
    assert "no price badge" in caplog.text


def test_v1_declarations_match_v3_inputs_and_return_frames_audio_fps() -> None:
    spec = SeedanceImageToVideoV1.INPUT_TYPES()
    assert list(spec["required"]) + list(spec["optional"]) == EXPECTED_I2V_INPUTS
    assert spec["required"]["aspect_ratio"][0] == list(ASPECT_RATIO_OPTIONS)
    assert spec["required"]["seed"][1]["control_after_generate"] is True
    # image-to-video keeps its four V1 outputs (callers unpack four); the others add info
    assert SeedanceImageToVideoV1.RETURN_TYPES == ("IMAGE", "AUDIO", "FLOAT", "STRING")
    for node_id in ("SeedanceTextToVideo", "SeedanceVideoExtend", "SeedanceVideoEdit"):
        assert V1_CLASSES[node_id].RETURN_NAMES == ("frames", "audio", "fps", "video_url", "info")


def test_story_nodes_inputs_and_outputs(fake_latest: ModuleType) -> None:
    nodes = make_v3_nodes(fake_latest)
    last = nodes["SeedanceLastFrame"].define_schema()
    assert [(i.id, i.io_type) for i in last.inputs] == [("video", "VIDEO")]
    assert [o.io_type for o in last.outputs] == ["IMAGE"]
    concat = nodes["SeedanceConcatVideos"].define_schema()
    assert [i.id for i in concat.inputs] == [f"video_{n}" for n in range(1, 9)]
    assert [bool(i.options.get("optional")) for i in concat.inputs] == [False] * 2 + [True] * 6
    assert [o.io_type for o in concat.outputs] == ["VIDEO", "STRING"]
    board = nodes["SeedanceStoryboard"].define_schema()
    ids = [i.id for i in board.inputs]
    assert ids[:4] == ["storyboard", "tier", "resolution", "seed"]
    assert ids[4:] == [f"reference_image_{n}" for n in range(1, 10)]
    assert [o.io_type for o in board.outputs] == ["VIDEO", "IMAGE", "STRING"]
    assert [o.options["display_name"] for o in board.outputs] == ["film", "contact_sheet", "info"]
    combos = {i.id: i.options["options"] for i in board.inputs if i.io_type == "COMBO"}
    assert combos == {
        "tier": ["board", "mini", "fast", "standard"],
        "resolution": ["board", "480p", "720p", "1080p"],
    }
    assert V1_CLASSES["SeedanceStoryboard"].RETURN_NAMES == (
        "frames",
        "audio",
        "fps",
        "contact_sheet",
        "info",
    )
    assert V1_CLASSES["SeedanceLastFrame"].RETURN_TYPES == ("IMAGE",)
