"""V3 and V1 declare the same inputs because both are generated from one table per node."""

from __future__ import annotations

from types import ModuleType

import pytest

from comfy_nodes.node_kinds import KINDS, NodeKind
from comfy_nodes.nodes import V1_CLASSES, make_v3_nodes


@pytest.mark.parametrize("kind", KINDS, ids=[k.node_id for k in KINDS])
def test_v3_and_v1_agree_on_every_input(fake_latest: ModuleType, kind: NodeKind) -> None:
    node = make_v3_nodes(fake_latest)[kind.node_id]
    v3 = {i.id: i.options for i in node.define_schema().inputs}
    spec = V1_CLASSES[kind.node_id].INPUT_TYPES()
    v1 = {**spec["required"], **spec["optional"]}
    assert list(v3) == list(v1) == [s.name for s in kind.inputs]
    assert list(spec["optional"]) == [s.name for s in kind.inputs if s.optional]
    for name, (socket, options) in v1.items():
        assert options["tooltip"] == v3[name]["tooltip"], name
        for key in ("default", "min", "max", "step", "multiline"):
            assert options.get(key) == v3[name].get(key), (name, key)
        if isinstance(socket, list):
            assert socket == v3[name]["options"], name
        if "display" in options:
            assert options["display"] == str(v3[name]["display_mode"]), name


def test_the_seed_control_differs_only_in_how_each_api_names_it(fake_latest: ModuleType) -> None:
    for node_id, node in make_v3_nodes(fake_latest).items():
        if node_id in ("SeedanceLastFrame", "SeedanceConcatVideos"):
            continue  # free, local, deterministic: no seed
        seed = next(i for i in node.define_schema().inputs if i.id == "seed")
        assert seed.options["control_after_generate"] == "fixed"
        assert V1_CLASSES[node_id].INPUT_TYPES()["required"]["seed"][1]["control_after_generate"]


def test_defaults_are_the_cores_request_defaults() -> None:
    from dataclasses import fields

    from shared_client import TextToVideoRequest

    defaults = {f.name: f.default for f in fields(TextToVideoRequest)}
    t2v = {s.name: s.default for s in KINDS[0].inputs if s.is_widget}
    for name in ("aspect_ratio", "resolution", "duration", "generate_audio", "enable_web_search"):
        assert t2v[name] == defaults[name], name
    assert t2v["model"] == defaults["model"]


def test_story_nodes_v3_and_v1_agree_on_every_input(fake_latest: ModuleType) -> None:
    from comfy_nodes.story_nodes import STORY_NODE_IDS, TABLES

    nodes = make_v3_nodes(fake_latest)
    for node_id in STORY_NODE_IDS:
        v3 = {i.id: i.options for i in nodes[node_id].define_schema().inputs}
        spec = V1_CLASSES[node_id].INPUT_TYPES()
        v1 = {**spec["required"], **spec["optional"]}
        assert list(v3) == list(v1) == [s.name for s in TABLES[node_id]]
        for name, (kind, options) in v1.items():
            assert options["tooltip"] == v3[name]["tooltip"]
            assert options.get("default") == v3[name].get("default"), name
            if isinstance(kind, list):
                assert kind == v3[name]["options"]
            assert (name in spec["optional"]) == bool(v3[name].get("optional")), name
