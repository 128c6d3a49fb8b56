"""The shipped workflows match the node's declared interface.

The UI-format template (what ComfyUI's template browser opens) must link sockets of the
right types and carry one widget value per widget, in schema order; the API-format graph
used by the e2e script must use only declared inputs and allowed values.
"""

from __future__ import annotations

import json
from types import ModuleType

from comfy_nodes.nodes import NODE_ID, make_v3_classes
from tests.support.paths import REPO_ROOT

TEMPLATES = sorted((REPO_ROOT / "comfy_nodes" / "example_workflows").glob("*.json"))
API_GRAPH = REPO_ROOT / "scripts" / "comfyui_support" / "seedance_i2v_api.json"
SOCKET_TYPES = {"IMAGE"}  # link-only inputs; every other input is a widget


def _schema(fake_latest: ModuleType):  # type: ignore[no-untyped-def]
    node, _ = make_v3_classes(fake_latest)
    return node.define_schema()


def _widgets(schema) -> list:  # type: ignore[no-untyped-def]
    return [i for i in schema.inputs if i.io_type not in SOCKET_TYPES]


def test_a_template_exists_and_wires_loadimage_to_seedance_to_savevideo(
    fake_latest: ModuleType,
) -> None:
    assert TEMPLATES, "comfy_nodes/example_workflows/ holds no workflow"
    for path in TEMPLATES:
        workflow = json.loads(path.read_text())
        nodes = {n["id"]: n for n in workflow["nodes"]}
        assert [n["type"] for n in workflow["nodes"]] == ["LoadImage", NODE_ID, "SaveVideo"]
        for link_id, src, src_slot, dst, dst_slot, kind in workflow["links"]:
            assert nodes[src]["outputs"][src_slot]["type"] == kind
            assert link_id in nodes[src]["outputs"][src_slot]["links"]
            assert nodes[dst]["inputs"][dst_slot]["type"] == kind
            assert nodes[dst]["inputs"][dst_slot]["link"] == link_id


def test_template_widget_values_follow_the_schema(fake_latest: ModuleType) -> None:
    schema = _schema(fake_latest)
    widgets = _widgets(schema)
    for path in TEMPLATES:
        node = next(n for n in json.loads(path.read_text())["nodes"] if n["type"] == NODE_ID)
        values = node["widgets_values"]
        assert len(values) == len(widgets) + 1  # + the seed's control_after_generate mode
        for widget, value in zip(widgets, values, strict=False):
            if "options" in widget.options:
                assert value in widget.options["options"], (widget.id, value)
            if "min" in widget.options:
                assert widget.options["min"] <= value <= widget.options["max"], widget.id
        assert values[-1] == "fixed"
        assert not any("key" in str(v).lower() for v in values)


def test_api_graph_for_the_e2e_uses_only_declared_inputs(fake_latest: ModuleType) -> None:
    schema = _schema(fake_latest)
    declared = {i.id: i for i in schema.inputs}
    graph = json.loads(API_GRAPH.read_text())
    node = next(n for n in graph.values() if n["class_type"] == NODE_ID)
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
