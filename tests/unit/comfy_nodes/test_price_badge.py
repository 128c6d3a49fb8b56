"""The price badge: generated from the catalogue, and equal to its prices.

The frontend evaluates the badge's JSONata in the browser. Here it is evaluated with
``jsonata-python`` (a pure-Python port of the reference implementation) when that is
installed; the embedded label table is checked against the catalogue either way.
"""

from __future__ import annotations

import json
import re
from types import ModuleType
from typing import Any

import pytest

from comfy_nodes.node_kinds import KINDS, NodeKind, kind_for
from comfy_nodes.nodes import make_v3_nodes
from comfy_nodes.price_badge import UNSTATED_RESOLUTION, badge_expression, badge_widgets
from shared_client import VideoEditRequest, model_spec
from shared_client.quotes import table_quote
from tests.support.media import container_mp4

T2V = kind_for("SeedanceTextToVideo")
EDIT = kind_for("SeedanceVideoEdit")


def _labels(kind: NodeKind) -> dict[str, Any]:
    match = re.search(r"\$labels := (\{.*\});\n", badge_expression(kind))
    assert match is not None
    return json.loads(match.group(1))


def _spec(kind: NodeKind, name: str) -> Any:
    return next(s for s in kind.inputs if s.name == name)


@pytest.mark.parametrize("kind", KINDS, ids=[k.node_id for k in KINDS])
def test_every_label_is_the_catalogue_price_of_that_run(kind: NodeKind) -> None:
    labels = _labels(kind)
    models = _spec(kind, "model").options
    assert sorted(labels) == sorted(models)
    checked = 0
    for model in models:
        spec = model_spec(model)
        assert spec is not None
        low, high = spec.durations
        for resolution, by_duration in (
            labels[model].items()
            if "resolution" in badge_widgets(kind)
            else [(None, labels[model])]
        ):
            for duration, label in by_duration.items():
                res = resolution or UNSTATED_RESOLUTION
                if duration == "auto":
                    expected = f"{spec.price(res, low):.2f}-{spec.price(res, high):.2f}"
                else:
                    expected = f"{spec.price(res, int(duration)):.2f}"
                assert label == expected, (model, resolution, duration)
                checked += 1
    assert checked >= len(models) * 12


def test_the_edit_badge_uses_the_offline_tables_basis_for_a_request_without_resolution() -> None:
    labels = _labels(EDIT)["bytedance/seedance-2.0/video-edit"]
    for seconds in (4, 9, 15):
        request = VideoEditRequest(prompt="grade it", video=container_mp4(20.0), duration=seconds)
        assert labels[str(seconds)] == f"{table_quote(request).usd:.2f}"
    unknown_length = VideoEditRequest(prompt="grade it", video="https://x.test/a.mp4")
    assert labels["auto"].endswith(f"-{table_quote(unknown_length).usd:.2f}")


def test_depends_on_names_declared_widgets_and_the_reference_sockets(
    fake_latest: ModuleType,
) -> None:
    for node_id, node in make_v3_nodes(fake_latest).items():
        if node_id not in {kind.node_id for kind in KINDS}:
            continue  # the story nodes: test_story_badge.py
        schema = node.define_schema()
        declared = {i.id: i for i in schema.inputs}
        depends = schema.price_badge.depends_on
        assert set(depends.widgets) <= set(declared)
        assert all(declared[w].io_type in ("COMBO", "INT") for w in depends.widgets)
        assert depends.inputs == [n for n in declared if n.startswith("reference_")], node_id


jsonata = pytest.importorskip("jsonata", reason="jsonata-python evaluates the JSONata")


def _evaluate(kind: NodeKind, widgets: dict[str, Any], connected: int = 0) -> Any:
    inputs = {n: {"connected": i < connected} for i, n in enumerate(kind.reference_names())}
    return jsonata.Jsonata(badge_expression(kind)).evaluate({"widgets": widgets, "inputs": inputs})


@pytest.mark.parametrize(
    ("model", "resolution", "duration"),
    [
        ("bytedance/seedance-2.0/text-to-video", "720p", 5),
        ("bytedance/seedance-2.0-fast/text-to-video", "1080p", 15),
        ("bytedance/seedance-2.0-mini/text-to-video-turbo", "480p", 4),
        ("bytedance/seedance-2.0-fast/text-to-video-turbo", "720p", 11),
    ],
)
def test_the_text_to_video_badge_evaluates_to_the_catalogue_price(
    model: str, resolution: str, duration: int
) -> None:
    spec = model_spec(model)
    assert spec is not None
    price = f"~${spec.price(resolution, duration):.2f}/Run"
    assert _evaluate(T2V, {"model": model, "resolution": resolution, "duration": duration}) == {
        "type": "text",
        "text": price,
    }


def test_the_badge_follows_the_connected_references() -> None:
    widgets = {"model": "bytedance/seedance-2.0/text-to-video", "resolution": "720p", "duration": 5}
    texts = [_evaluate(T2V, widgets, n)["text"] for n in (0, 1, 4)]
    assert texts == ["~$1.20/Run", "~$1.20/Run (1 ref)", "~$1.20/Run (4 refs)"]


def test_every_node_badges_its_default_settings_and_edit_shows_a_range() -> None:
    for kind in KINDS:
        widgets = {name: _spec(kind, name).default for name in badge_widgets(kind)}
        result = _evaluate(kind, widgets)
        assert result["type"] == "text" and result["text"].startswith("~$"), kind.node_id
    assert _evaluate(EDIT, {"model": _spec(EDIT, "model").default, "duration": "auto"}) == {
        "type": "text",
        "text": "~$2.17-8.13/Run",
    }


@pytest.mark.parametrize(
    "widgets",
    [
        {"model": "bytedance/seedance-2.0/unknown", "resolution": "720p", "duration": 5},
        {"model": "bytedance/seedance-2.0/text-to-video", "resolution": "4k", "duration": 5},
        {"model": "bytedance/seedance-2.0/text-to-video", "resolution": "720p", "duration": 99},
        {"model": "bytedance/seedance-2.0/text-to-video", "resolution": "720p", "duration": None},
    ],
)
def test_values_the_catalogue_cannot_price_show_no_badge(widgets: dict[str, Any]) -> None:
    assert _evaluate(T2V, widgets) is None
