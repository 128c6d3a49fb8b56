"""The node's declared interface (V3 against the stand-in ``comfy_api.latest``, and V1)."""

from __future__ import annotations

import asyncio
from types import ModuleType

from comfy_nodes.nodes import (
    ASPECT_RATIO_OPTIONS,
    NODE_ID,
    SeedanceImageToVideoV1,
    make_v3_classes,
)
from shared_client.models import IMAGE_TO_VIDEO_MODELS

EXPECTED_INPUTS = [
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


def test_v3_schema_declares_the_contract(fake_latest: ModuleType) -> None:
    node, _ = make_v3_classes(fake_latest)
    schema = node.define_schema()
    assert schema.node_id == NODE_ID == "SeedanceImageToVideo"
    assert schema.display_name == "Seedance 2.0 Image to Video (WaveSpeed)"
    assert "video" in schema.category
    inputs = {i.id: i for i in schema.inputs}
    assert list(inputs) == EXPECTED_INPUTS
    assert inputs["image"].io_type == "IMAGE" and inputs["last_image"].io_type == "IMAGE"
    assert inputs["last_image"].options["optional"] is True
    assert inputs["prompt"].options["multiline"] is True
    assert inputs["model"].options["options"] == list(IMAGE_TO_VIDEO_MODELS)
    assert inputs["aspect_ratio"].options["options"] == [
        "auto",
        "16:9",
        "9:16",
        "4:3",
        "3:4",
        "1:1",
        "21:9",
    ]
    duration = inputs["duration"].options
    assert (duration["min"], duration["max"]) == (4, 15)
    assert duration["display_mode"] == fake_latest.IO.NumberDisplay.slider
    # a seed control that stays "fixed": queueing again never silently pays for a new seed
    assert inputs["seed"].options["control_after_generate"] == "fixed"
    assert [o.io_type for o in schema.outputs] == ["VIDEO", "STRING"]


def test_no_input_can_carry_a_key(fake_latest: ModuleType) -> None:
    node, _ = make_v3_classes(fake_latest)
    names = [i.id for i in node.define_schema().inputs]
    v1 = SeedanceImageToVideoV1.INPUT_TYPES()
    names += list(v1["required"]) + list(v1["optional"])
    assert not [n for n in names if "key" in n.lower() or "token" in n.lower()]


def test_v3_node_does_not_override_fingerprint_inputs_so_comfyui_caches_by_inputs(
    fake_latest: ModuleType,
) -> None:
    # ComfyUI's execution.py only consults fingerprint_inputs when a subclass overrides
    # it; without an override identical inputs (seed included) reuse cached outputs.
    node, _ = make_v3_classes(fake_latest)
    assert "fingerprint_inputs" not in vars(node)
    assert not hasattr(SeedanceImageToVideoV1, "IS_CHANGED")
    assert node.define_schema().not_idempotent is False


def test_extension_lists_the_node(fake_latest: ModuleType) -> None:
    node, extension = make_v3_classes(fake_latest)
    assert asyncio.run(extension().get_node_list()) == [node]


def test_v1_declaration_matches_v3_inputs_and_returns_frames_audio_fps() -> None:
    spec = SeedanceImageToVideoV1.INPUT_TYPES()
    assert list(spec["required"]) + list(spec["optional"]) == EXPECTED_INPUTS
    assert spec["required"]["aspect_ratio"][0] == list(ASPECT_RATIO_OPTIONS)
    assert spec["required"]["seed"][1]["control_after_generate"] is True
    assert SeedanceImageToVideoV1.RETURN_TYPES == ("IMAGE", "AUDIO", "FLOAT", "STRING")
