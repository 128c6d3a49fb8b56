"""``generate()`` and ``generate_story()`` check every precondition before paying, and
every paid run carries its cost (against the simulator, on the sync and async clients)."""

from __future__ import annotations

import asyncio
import builtins
from pathlib import Path
from typing import Any

import pytest

from seedance_simulator import Simulator
from shared_client import (
    AsyncSeedanceClient,
    ImageToVideoRequest,
    InvalidRequestError,
    PreconditionError,
    SeedanceClient,
    Storyboard,
    TextToVideoRequest,
)
from tests.support.media import count_frames, make_png

from .conftest import API_KEY


def _nothing_paid(sim: Simulator) -> None:
    stats = sim.stats()
    assert (stats["submissions"], stats["uploads"]) == (0, 0), stats


def test_generate_refuses_a_destination_it_cannot_write_before_paying(
    sim: Simulator, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    image = tmp_path / "cat.png"
    image.write_bytes(make_png(32, 32))
    request = ImageToVideoRequest(prompt="a cat", image=image, duration=4)
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        for dest in (blocker, blocker / "below"):
            with pytest.raises(PreconditionError) as info:
                client.generate(request, dest=dest, poll_interval=0.2)
            assert info.value.field == "dest" and "nothing was submitted or paid" in str(info.value)
    _nothing_paid(sim)


def test_generate_downloads_into_dest_and_reports_the_cost_without_a_cap(
    sim: Simulator, tmp_path: Path
) -> None:
    request = TextToVideoRequest(prompt="a lighthouse", duration=4, resolution="480p")
    quotes: list[Any] = []

    async def run() -> Any:
        async with AsyncSeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
            return await client.generate(
                request, dest=tmp_path / "new" / "folder", poll_interval=0.2, on_quote=quotes.append
            )

    final = asyncio.run(run())
    assert final.cost_usd is not None and final.cost_source == "api"
    assert len(quotes) == 1 and quotes[0].usd == final.cost_usd
    [file] = final.files
    assert Path(file).parent == tmp_path / "new" / "folder" and count_frames(file) > 0
    assert final.to_dict()["files"] == [file]
    assert sim.stats()["submissions"] == 1


BOARD = {
    "title": "Two shots",
    "tier": "fast",
    "resolution": "480p",
    "shots": [
        {"prompt": "a red door", "duration": 4},
        {"prompt": "it opens", "duration": 4, "join": "continue"},
        {"prompt": "a garden", "duration": 4, "image": "garden.png"},
    ],
}


def _board(tmp_path: Path) -> Storyboard:
    (tmp_path / "garden.png").write_bytes(make_png(32, 32))
    return Storyboard.from_dict(BOARD, base_dir=tmp_path)


def test_a_story_whose_third_shot_lost_its_image_pays_for_no_shot(
    sim: Simulator, tmp_path: Path
) -> None:
    board = _board(tmp_path)
    (tmp_path / "garden.png").unlink()  # gone after the board was read
    client = SeedanceClient(api_key=API_KEY, base_url=sim.base_url)
    with client, pytest.raises(InvalidRequestError) as info:
        client.generate_story(board, tmp_path / "film", poll_interval=0.2)
    assert info.value.field == "shots[2].image" and str(info.value.value).endswith("garden.png")
    _nothing_paid(sim)


def test_a_story_without_the_stories_extra_pays_for_no_shot(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    board = _board(tmp_path)
    real_import = builtins.__import__

    def no_pyav(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "av" or name.startswith("av."):
            raise ImportError("No module named 'av'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "av", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_pyav)
    client = SeedanceClient(api_key=API_KEY, base_url=sim.base_url)
    with client, pytest.raises(PreconditionError) as info:
        client.generate_story(board, tmp_path / "film", poll_interval=0.2)
    assert info.value.field == "extra" and "seedance-workflows[stories]" in str(info.value)
    _nothing_paid(sim)


def test_a_story_into_a_file_pays_for_no_shot(sim: Simulator, tmp_path: Path) -> None:
    taken = tmp_path / "film.mp4"
    taken.write_text("x")
    client = SeedanceClient(api_key=API_KEY, base_url=sim.base_url)
    with client, pytest.raises(PreconditionError, match="not a folder"):
        client.generate_story(_board(tmp_path), taken, poll_interval=0.2)
    _nothing_paid(sim)
