"""The shipped workflows match the nodes' declared interfaces.

The UI-format templates (what ComfyUI's template browser opens) must link sockets of the
right types and carry one widget value per widget, in schema order; the API-format graphs
used by the e2e script must use only declared inputs and allowed values.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from comfy_nodes.nodes import make_v3_nodes
from tests.support.paths import REPO_ROOT

TEMPLATES = sorted((REPO_ROOT / "comfy_nodes" / "example_workflows").glob("*.json"))
API_GRAPHS = sorted((REPO_ROOT / "scripts" / "comfyui_support").glob("seedance_*_api.json"))
SOCKET_TYPES = {"IMAGE", "VIDEO", "AUDIO"}  # link-only inputs; every other input is a widget
NODE_IDS = {
    "SeedanceTextToVideo",
    "SeedanceImageToVideo",
    "SeedanceVideoExtend",
    "SeedanceVideoEdit",
    "SeedanceStoryboard",
}
#: Used by the e2e's API graph, not by a template of their own (free, local helpers).
HELPER_IDS = {"SeedanceLastFrame", "SeedanceConcatVideos"}


def _schemas(fake_latest: ModuleType) -> dict[str, Any]:
    return {k: n.define_schema() for k, n in make_v3_nodes(fake_latest).items()}


def test_every_node_has_a_template_and_each_ends_in_savevideo() -> None:
    used = set()
    for path in TEMPLATES:
        workflow = json.loads(path.read_text())
        types = [n["type"] for n in workflow["nodes"]]
        assert types[-1] == "SaveVideo", path.name
        used |= set(types) & NODE_IDS
    assert used == NODE_IDS


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_template_links_join_sockets_of_the_same_type(path: Any) -> None:
    workflow = json.loads(path.read_text())
    nodes = {n["id"]: n for n in workflow["nodes"]}
    for link_id, src, src_slot, dst, dst_slot, kind in workflow["links"]:
        assert nodes[src]["outputs"][src_slot]["type"] == kind
        assert link_id in nodes[src]["outputs"][src_slot]["links"]
        assert nodes[dst]["inputs"][dst_slot]["type"] == kind
        assert nodes[dst]["inputs"][dst_slot]["link"] == link_id


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_template_sockets_and_widget_values_follow_the_schema(
    fake_latest: ModuleType, path: Any
) -> None:
    schemas = _schemas(fake_latest)
    for node in json.loads(path.read_text())["nodes"]:
        if node["type"] not in NODE_IDS:
            continue
        schema = schemas[node["type"]]
        sockets = [i for i in schema.inputs if i.io_type in SOCKET_TYPES]
        assert [i["name"] for i in node["inputs"]] == [i.id for i in sockets]
        widgets = [i for i in schema.inputs if i.io_type not in SOCKET_TYPES]
        values = node["widgets_values"]
        assert len(values) == len(widgets) + 1  # + the seed's control_after_generate mode
        assert widgets[-1].id == "seed"
        for widget, value in zip(widgets, values, strict=False):
            if "options" in widget.options:
                assert value in widget.options["options"], (widget.id, value)
            if "min" in widget.options:
                assert widget.options["min"] <= value <= widget.options["max"], widget.id
        assert values[-1] == "fixed"
        assert not any("key" in str(v).lower() for v in values)
        assert [o["type"] for o in node["outputs"]] == [o.io_type for o in schema.outputs]


@pytest.mark.parametrize("path", API_GRAPHS, ids=[p.name for p in API_GRAPHS])
def test_api_graphs_for_the_e2e_use_only_declared_inputs(
    fake_latest: ModuleType, path: Any
) -> None:
    schemas = _schemas(fake_latest)
    graph = json.loads(path.read_text())
    seedance = [n for n in graph.values() if n["class_type"] in NODE_IDS | HELPER_IDS]
    assert seedance
    for node in seedance:
        declared = {i.id: i for i in schemas[node["class_type"]].inputs}
        assert set(node["inputs"]) <= set(declared)
        required = {i for i, spec in declared.items() if not spec.options.get("optional")}
        assert required <= set(node["inputs"])
        for name, value in node["inputs"].items():
            options = declared[name].options.get("options")
            if options is not None:
                assert value in options, (name, value)


def test_templates_are_packaged_with_comfy_nodes() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert '"example_workflows/*.json"' in pyproject
    assert all(p.parent.parent == REPO_ROOT / "comfy_nodes" for p in TEMPLATES)


def test_the_story_template_board_is_valid_and_its_e2e_twin_runs_it(
    fake_latest: ModuleType, tmp_path: Any
) -> None:
    """The template's board passes the whole-board validation (with an image in
    reference_image_1, as the template links), and the e2e's API graph has the same
    Seedance wiring: it takes the board, tier, resolution and seed from the template."""
    import torch

    from comfy_nodes.story_run import parse_story

    path = (
        REPO_ROOT / "comfy_nodes" / "example_workflows" / "seedance_three_shot_product_story.json"
    )
    workflow = json.loads(path.read_text())
    node = next(n for n in workflow["nodes"] if n["type"] == "SeedanceStoryboard")
    board, tier, resolution, seed, _ = node["widgets_values"]
    image = torch.rand(1, 48, 64, 3)
    job = parse_story(
        {"storyboard": board, "tier": tier, "resolution": resolution, "seed": seed,
         "reference_image_1": image},
        input_dir=tmp_path,
    )  # fmt: skip
    assert [s.join for s in job.board.shots] == ["cut", "continue", "cut"]
    assert job.board.seconds == 13 and job.board.tier == "mini"
    api = json.loads((REPO_ROOT / "scripts/comfyui_support/seedance_story_api.json").read_text())
    twin = next(n for n in api.values() if n["class_type"] == "SeedanceStoryboard")
    loader = next(k for k, n in api.items() if n["class_type"] == "LoadImage")
    assert twin["inputs"]["reference_image_1"] == [loader, 0]
