"""The storyboard node's price badge, evaluated as the frontend would (JSONata), against the
core's own offline quote of the same board."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import jsonata
import pytest

from comfy_nodes.nodes import make_v3_nodes
from comfy_nodes.story_badge import BOARD, board_price_labels, story_badge_expression
from comfy_nodes.story_nodes import DEFAULT_BOARD, STORYBOARD_INPUTS
from shared_client import RESOLUTIONS, Storyboard, table_quote

EXPR = jsonata.Jsonata(story_badge_expression(STORYBOARD_INPUTS))

YAML_BOARD = """
title: Sneaker launch
tier: standard            # mini | fast | standard
resolution: 1080p
shots:
  - prompt: "laces up the sneaker, close-up"
    duration: 6
  # - prompt: "a cut shot"
  #   duration: 15
  - prompt: "she runs out of the door"
    join: continue
  - {prompt: "aerial shot of the city", duration: 4}
"""


def _badge(text: str, tier: str = BOARD, resolution: str = BOARD) -> Any:
    """The frontend's context: STRING and COMBO widgets trimmed and lower-cased."""
    widgets = {"storyboard": text.strip().lower(), "tier": tier, "resolution": resolution}
    return EXPR.evaluate({"widgets": widgets, "inputs": {}})


def _table_total(data: dict[str, Any]) -> float:
    board = Storyboard.from_dict(data)
    return sum(table_quote(board.request_for(i)).usd for i in range(len(board.shots)))


def test_yaml_board_price_is_the_cores_offline_quote() -> None:
    import yaml

    data = yaml.safe_load(YAML_BOARD)
    expected = _table_total(data)  # 6 + 5 (default) + 4 s at standard 1080p
    assert _badge(YAML_BOARD) == {"type": "text", "text": f"~${expected:.2f}/Run (3 shots, 15 s)"}


@pytest.mark.parametrize("tier", ["mini", "fast", "standard"])
@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
def test_widgets_override_the_board_and_the_price_follows(tier: str, resolution: str) -> None:
    import yaml

    data = {**yaml.safe_load(YAML_BOARD), "tier": tier, "resolution": resolution}
    expected = _table_total(data)
    assert _badge(YAML_BOARD, tier, resolution)["text"] == f"~${expected:.2f}/Run (3 shots, 15 s)"


def test_json_board_and_defaults() -> None:
    data = {"title": "t", "shots": [{"prompt": "a", "duration": 9}, {"prompt": "b"}]}
    expected = _table_total(data)  # fast, 720p: the board's defaults
    assert _badge(json.dumps(data))["text"] == f"~${expected:.2f}/Run (2 shots, 14 s)"
    one_line = json.dumps(data, indent=None, separators=(",", ":"))
    assert _badge(one_line)["text"] == f"~${expected:.2f}/Run (2 shots, 14 s)"


def test_shots_without_durations_count_five_seconds() -> None:
    data = {"title": "t", "tier": "mini", "shots": [{"prompt": "a"}, {"prompt": "b"}]}
    expected = _table_total(data)
    assert _badge("title: t\ntier: mini\nshots:\n- prompt: a\n- prompt: b")["text"] == (
        f"~${expected:.2f}/Run (2 shots, 10 s)"
    )


def test_the_price_changes_with_a_duration() -> None:
    longer = YAML_BOARD.replace("duration: 6", "duration: 12")
    assert _badge(longer)["text"] != _badge(YAML_BOARD)["text"]
    assert "(3 shots, 21 s)" in _badge(longer)["text"]


def test_default_board_has_a_badge() -> None:
    import yaml

    expected = _table_total(yaml.safe_load(DEFAULT_BOARD))
    assert _badge(DEFAULT_BOARD)["text"] == f"~${expected:.2f}/Run (3 shots, 12 s)"


@pytest.mark.parametrize(
    "text",
    ["", "title: nothing yet", "shots:\n  - duration: 5\n    duration: 4\n  - prompt: a"],
    ids=["empty", "no-shots", "more-durations-than-prompts"],
)
def test_no_badge_when_the_text_cannot_be_read(text: str) -> None:
    assert _badge(text) is None


def test_labels_cover_every_second_a_board_may_hold() -> None:
    labels = board_price_labels(RESOLUTIONS)
    assert set(labels) == {"mini", "fast", "standard"}
    assert all(len(row) == 181 for tier in labels.values() for row in tier.values())


def test_schema_declares_the_badge_on_an_api_node(fake_latest: ModuleType) -> None:
    schema = make_v3_nodes(fake_latest)["SeedanceStoryboard"].define_schema()
    assert schema.is_api_node is True
    assert schema.price_badge.depends_on.widgets == ["storyboard", "tier", "resolution"]
    for free in ("SeedanceLastFrame", "SeedanceConcatVideos"):
        other = make_v3_nodes(fake_latest)[free].define_schema()
        assert other.price_badge is None and other.is_api_node is False
