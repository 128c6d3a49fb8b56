"""``Storyboard.to_dict``: a board travels as JSON (an Airflow XCom) and comes back equal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared_client import InvalidRequestError, Storyboard
from tests.support.media import make_png

BOARD = """
title: Round trip
tier: mini
resolution: 480p
references: {images: [hero.png]}
shots:
  - {prompt: "@Image1 waves", duration: 4}
  - {prompt: "she turns", duration: 4, join: continue, camera: slow pan}
  - {prompt: "more", duration: 4, join: extend}
  - {prompt: "the city", duration: 4, image: city.png}
"""


def test_a_board_from_a_file_survives_json_with_its_media_paths_resolved(tmp_path: Path) -> None:
    (tmp_path / "hero.png").write_bytes(make_png(32, 32))
    (tmp_path / "city.png").write_bytes(make_png(32, 18))
    (tmp_path / "ad.yaml").write_text(BOARD)
    board = Storyboard.from_file(tmp_path / "ad.yaml")
    data = json.loads(json.dumps(board.to_dict()))
    assert data["references"]["images"] == [str(tmp_path / "hero.png")]
    assert data["shots"][3]["image"] == str(tmp_path / "city.png")
    assert Storyboard.from_dict(data) == board  # same shots, settings and references


def test_media_given_as_bytes_cannot_travel_and_are_named(tmp_path: Path) -> None:
    board = Storyboard.from_dict({"title": "b", "shots": [{"prompt": "x", "duration": 4}]})
    board = Storyboard(title="b", shots=board.shots, reference_images=(make_png(8, 8),))
    with pytest.raises(InvalidRequestError, match=r"references\.images\[0\]"):
        board.to_dict()
