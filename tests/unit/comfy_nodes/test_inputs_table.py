"""V3 and V1 declare the same inputs because both are generated from ``INPUTS``."""

from __future__ import annotations

from types import ModuleType

from comfy_nodes.nodes import INPUTS, SeedanceImageToVideoV1, make_v3_classes


def test_v3_and_v1_agree_on_every_input(fake_latest: ModuleType) -> None:
    node, _ = make_v3_classes(fake_latest)
    v3 = {i.id: i.options for i in node.define_schema().inputs}
    spec = SeedanceImageToVideoV1.INPUT_TYPES()
    v1 = {**spec["required"], **spec["optional"]}
    assert list(v3) == list(v1) == [s.name for s in INPUTS]
    assert list(spec["optional"]) == [s.name for s in INPUTS if s.optional]
    for name, (kind, options) in v1.items():
        assert options["tooltip"] == v3[name]["tooltip"], name
        for key in ("default", "min", "max", "step", "multiline"):
            assert options.get(key) == v3[name].get(key), (name, key)
        if isinstance(kind, list):
            assert kind == v3[name]["options"], name
        if "display" in options:
            assert options["display"] == str(v3[name]["display_mode"]), name


def test_the_seed_control_differs_only_in_how_each_api_names_it(fake_latest: ModuleType) -> None:
    node, _ = make_v3_classes(fake_latest)
    seed = next(i for i in node.define_schema().inputs if i.id == "seed")
    assert seed.options["control_after_generate"] == "fixed"
    assert SeedanceImageToVideoV1.INPUT_TYPES()["required"]["seed"][1]["control_after_generate"]
