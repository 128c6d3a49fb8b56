"""A storyboard becomes one stitched, decodable film, each shot paid once (against the simulator).

The film's length is the shots' lengths (an extend shot adds only its new seconds), its
shots are visible as scene cuts, and the contact sheet has a frame per shot. The whole
board is priced first and refused over the cap with nothing paid; a re-run reuses every
finished shot; a shot whose submit was cut short is found in the history, not paid again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image

from seedance_simulator import Simulator
from shared_client import (
    AsyncSeedanceClient,
    BudgetExceededError,
    InvalidRequestError,
    SeedanceClient,
    Storyboard,
    SubmitIntent,
)
from tests.support.media import make_png

from .conftest import API_KEY

BOARD = """
title: Sneaker launch
tier: fast
resolution: 480p
aspect_ratio: "16:9"
generate_audio: true
references: {images: [hero.png], videos: [], audios: []}
shots:
  - prompt: "@Image1 laces up the sneaker, close-up"
    duration: 4
  - prompt: "she runs out of the door"
    duration: 4
    join: continue
  - prompt: "she keeps running down the street"
    duration: 4
    join: extend
  - prompt: "aerial shot of the city at dawn"
    duration: 4
    image: city.png
"""


@pytest.fixture
def board_file(tmp_path: Path) -> Path:
    (tmp_path / "hero.png").write_bytes(make_png(64, 64, (200, 30, 30)))
    (tmp_path / "city.png").write_bytes(make_png(64, 36, (30, 60, 200)))
    path = tmp_path / "ad.yaml"
    path.write_text(BOARD)
    return path


def _film(path: Path) -> tuple[float, int, bool]:
    """Seconds, frames decoded, and whether it has audio; frames must match the rate."""
    with av.open(str(path)) as container:
        rate = float(container.streams.video[0].average_rate)
        frames = sum(1 for _ in container.decode(video=0))
        seconds = float(container.duration) / 1e6
        assert frames == pytest.approx(seconds * rate, abs=2 + 0.02 * seconds * rate)
        return seconds, frames, bool(container.streams.audio)


async def test_a_board_file_becomes_one_film_with_a_contact_sheet(
    sim: Simulator, board_file: Path, tmp_path: Path
) -> None:
    board = Storyboard.from_file(board_file)
    assert board.chains() == [[0, 1, 2], [3]]
    updates: list[str] = []
    async with AsyncSeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        result = await client.generate_story(
            board, tmp_path / "out", max_cost_usd=5, on_update=lambda u: updates.append(str(u)),
            poll_interval=0.1, timeout=120,
        )  # fmt: skip
    seconds, frames, audio = _film(result.film)
    assert seconds == pytest.approx(16, abs=0.35)  # 4 + 4 + 4 new + 4
    assert frames > 0 and audio
    assert result.reencoded  # the extend shot is trimmed to its new seconds
    assert [s.model.split("/")[-1] for s in result.shots] == [
        "text-to-video", "image-to-video", "video-extend", "image-to-video"
    ]  # fmt: skip
    assert all(s.cost_source == "api" and s.cost_usd for s in result.shots)
    assert result.cost_usd == pytest.approx(round(4 * 0.16 * 0.465, 4) * 4, abs=1e-3)
    with Image.open(result.contact_sheet) as sheet:
        assert sheet.width > 4 * 40
    assert any(u.startswith("shot 4/4: ") for u in updates)
    assert sim.stats()["submissions"] == 4


def test_independent_shots_of_one_kind_are_joined_without_re_encoding(
    sim: Simulator, tmp_path: Path
) -> None:
    board = Storyboard.from_dict(
        {"title": "Three cuts", "tier": "mini", "resolution": "480p",
         "shots": [{"prompt": f"scene {i}", "duration": 4} for i in range(3)]}
    )  # fmt: skip
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        result = client.generate_story(board, tmp_path, poll_interval=0.1, timeout=120)
    assert not result.reencoded
    seconds, _, _ = _film(result.film)
    assert seconds == pytest.approx(12, abs=0.35)
    assert sim.stats()["submissions"] == 3


def test_over_the_cap_nothing_is_paid_and_a_rerun_reuses_finished_shots(
    sim: Simulator, tmp_path: Path
) -> None:
    board = Storyboard.from_dict(
        {"title": "Twice", "tier": "fast", "resolution": "480p",
         "shots": [{"prompt": "a", "duration": 4}, {"prompt": "b", "duration": 4}]}
    )  # fmt: skip
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        with pytest.raises(BudgetExceededError, match="storyboard 'Twice'"):
            client.generate_story(board, tmp_path, max_cost_usd=0.1)
        assert sim.stats()["submissions"] == 0
        first = client.generate_story(board, tmp_path, poll_interval=0.1, timeout=120)
        again = client.generate_story(board, tmp_path, poll_interval=0.1, timeout=120)
    assert sim.stats()["submissions"] == 2
    assert all(s.reused for s in again.shots) and again.cost_usd == 0
    assert [s.prediction_id for s in again.shots] == [s.prediction_id for s in first.shots]


def test_a_shot_whose_submit_was_cut_short_is_found_not_paid_again(
    sim: Simulator, tmp_path: Path
) -> None:
    """The ledger holds only the intent (the process died during the POST): the re-run
    searches the history, adopts the task, and pays nothing more."""
    board = Storyboard.from_dict(
        {"title": "Cut short", "tier": "mini", "resolution": "480p",
         "shots": [{"prompt": "one shot", "duration": 4}]}
    )  # fmt: skip
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        first = client.generate_story(board, tmp_path, poll_interval=0.1, timeout=120)
        [ledger] = (tmp_path / ".story").rglob("shot-00.json")
        record = json.loads(ledger.read_text())
        Path(record.pop("file")).unlink()
        record.pop("prediction_id")  # as if killed between the POST and the id write
        ledger.write_text(json.dumps(record))
        assert SubmitIntent.from_json(record["intent"]).prediction_id is None
        again = client.generate_story(board, tmp_path, poll_interval=0.1, timeout=120,
                                      settle_window=5)  # fmt: skip
    assert again.shots[0].prediction_id == first.shots[0].prediction_id
    assert sim.stats()["submissions"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tier": "pro"}, "tier"),
        ({"shots": []}, "shots"),
        ({"shots": [{"prompt": "a", "join": "continue"}]}, "shots[0].join"),
        ({"shots": [{"prompt": "a"}, {"prompt": "b", "duration": 30}]}, "shots[1].duration"),
        ({"shots": [{"prompt": "@Image2 only one", "duration": 5}]}, "shots[0].prompt"),
        ({"shots": [{"prompt": "x", "duration": 15}] * 13}, "shots"),
        ({"shots": [{"prompt": "x", "zoom": 2}]}, "shots[0]"),
    ],
)
def test_the_whole_board_is_validated_before_anything_is_paid(
    change: dict[str, Any], field: str
) -> None:
    data = {"title": "t", "references": {"images": ["https://cdn/hero.png"]},
            "shots": [{"prompt": "a"}], **change}  # fmt: skip
    with pytest.raises(InvalidRequestError) as info:
        Storyboard.from_dict(data)
    assert info.value.field == field
