"""The story nodes against the simulator (real HTTP on 127.0.0.1), real MP4s decoded.

Storyboard: the film decodes with the board's total length and the contact sheet has a
frame per shot; the whole board is validated before anything is sent; the session cap
refuses it before any upload; a re-queue (even after a restart) pays for nothing; a new
seed pays again. LastFrame is the exact decoded final frame; ConcatVideos joins videos.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import av
import numpy as np
import pytest
import torch

from comfy_nodes import budget
from comfy_nodes.errors import GenerationError, NodeInputError
from comfy_nodes.nodes import V1_CLASSES, make_v3_nodes
from seedance_simulator import Simulator
from tests.support.media import write_mp4

BOARD = """
title: Product story
tier: mini
resolution: 480p
shots:
  - prompt: "@Image1 on a pedestal, slow turn"
    duration: 4
  - prompt: "the camera pulls back"
    duration: 4
    join: continue
  - prompt: "a runner sprints away"
    duration: 5
"""


@pytest.fixture(scope="module")
def nodes(fake_latest: ModuleType) -> dict[str, type]:
    return make_v3_nodes(fake_latest)


def _values(image: torch.Tensor, seed: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "storyboard": BOARD,
        "tier": "board",
        "resolution": "board",
        "seed": seed,
        "reference_image_1": image,
        **overrides,
    }


def _seconds(path: Path) -> float:
    """Decoded length: the last frame's time plus one frame (every frame is decoded)."""
    with av.open(str(path)) as container:
        rate = container.streams.video[0].average_rate
        times = [float(frame.time) for frame in container.decode(video=0)]
    return max(times) + 1 / float(rate)


async def test_storyboard_gives_the_film_and_sheet_and_a_requeue_pays_nothing(
    nodes: dict[str, type], node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    node = nodes["SeedanceStoryboard"]
    film, sheet, info = (await node.execute(**_values(start_image))).args
    path = Path(film.get_stream_source())
    assert abs(_seconds(path) - 13.0) < 0.05  # 4 + 4 + 5 s
    assert sheet.shape[0] == 1 and sheet.shape[-1] == 3 and sheet.shape[2] > sheet.shape[1]
    data = json.loads(info)
    assert data["price_source"] == "api" and [s["reused"] for s in data["shots"]] == [False] * 3
    assert data["new_charge_usd"] == data["price_usd"] > 0
    assert simulator.stats()["submissions"] == 3

    budget._LEDGERS.clear()  # a ComfyUI restart: a new session, the cache folder survives
    again = json.loads((await node.execute(**_values(start_image))).args[2])
    assert simulator.stats()["submissions"] == 3
    assert again["new_charge_usd"] == 0 and all(s["reused"] for s in again["shots"])
    assert [s["prediction_id"] for s in again["shots"]] == [
        s["prediction_id"] for s in data["shots"]
    ]


async def test_a_new_seed_or_an_override_generates_again(
    nodes: dict[str, type], node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    node = nodes["SeedanceStoryboard"]
    first = json.loads((await node.execute(**_values(start_image, seed=5))).args[2])
    override = _values(start_image, seed=5, resolution="720p")
    second = json.loads((await node.execute(**override)).args[2])
    assert simulator.stats()["submissions"] == 6
    assert second["price_usd"] > first["price_usd"]  # 720p costs more than the board's 480p


async def test_the_session_cap_refuses_the_board_before_any_upload(
    nodes: dict[str, type],
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    user_settings: Callable[..., Path],
) -> None:
    user_settings(max_cost_usd=0.5)
    with pytest.raises(GenerationError, match=r"max_cost_usd: this run costs \$0\.\d+ USD"):
        await nodes["SeedanceStoryboard"].execute(**_values(start_image, seed=7))
    stats = simulator.stats()
    assert (stats["submissions"], stats["uploads"]) == (0, 0)
    assert budget.ledger_for(simulator.base_url).spent == 0


async def test_the_cap_holds_only_what_is_still_to_pay(
    nodes: dict[str, type],
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    user_settings: Callable[..., Path],
) -> None:
    node = nodes["SeedanceStoryboard"]
    await node.execute(**_values(start_image, seed=9))
    ledger = budget.ledger_for(simulator.base_url)
    spent = ledger.spent
    assert spent > 0 and ledger.reserved == 0
    user_settings(max_cost_usd=round(spent + 0.01, 4))  # less than the board again
    info = json.loads((await node.execute(**_values(start_image, seed=9))).args[2])
    assert info["new_charge_usd"] == 0 and ledger.spent == spent
    assert simulator.stats()["submissions"] == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("duration: 5", "duration: 30"), r"shots\[2\]\.duration"),
        (("join: continue", "join: sideways"), r"shots\[1\]\.join"),
        (("@Image1 on", "@Image2 on"), r"shots\[0\]"),
        (("title: Product story", "title: ''"), r"title"),
    ],
)
async def test_the_whole_board_is_validated_before_anything_is_sent(
    nodes: dict[str, type],
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    change: tuple[str, str],
    message: str,
) -> None:
    broken = BOARD.replace(*change)
    with pytest.raises(NodeInputError, match=message):
        await nodes["SeedanceStoryboard"].execute(**_values(start_image, storyboard=broken))
    assert simulator.stats()["requests"] == 0


async def test_board_images_and_sockets_are_not_mixed(
    nodes: dict[str, type], node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    text = BOARD.replace("shots:", "references: {images: [hero.png]}\nshots:")
    with pytest.raises(NodeInputError, match=r"references\.images"):
        await nodes["SeedanceStoryboard"].execute(**_values(start_image, storyboard=text))
    with pytest.raises(NodeInputError, match="storyboard: not valid YAML or JSON"):
        await nodes["SeedanceStoryboard"].execute(**_values(start_image, storyboard="a: [b"))
    assert simulator.stats()["requests"] == 0


def _last_decoded(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return frames[-1]


async def test_last_frame_is_the_exact_decoded_final_frame(
    nodes: dict[str, type], fake_latest: ModuleType, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    write_mp4(clip, frames=10, fps=5, with_audio=False)
    video = fake_latest.InputImpl.VideoFromFile(str(clip))
    (image,) = (await nodes["SeedanceLastFrame"].execute(video=video)).args
    pixels = np.rint(image[0].numpy() * 255).astype(np.uint8)
    assert np.array_equal(pixels, _last_decoded(clip))
    (v1,) = V1_CLASSES["SeedanceLastFrame"]().run(video=video)
    assert torch.equal(v1, image)


async def test_concat_joins_in_socket_order_and_reencodes_only_when_needed(
    nodes: dict[str, type],
    fake_latest: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEEDANCE_COMFY_CACHE_DIR", str(tmp_path / "cache"))
    a, b, small = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "small.mp4"
    write_mp4(a, frames=16, fps=8, with_audio=True)
    write_mp4(b, frames=24, fps=8, with_audio=True)
    write_mp4(small, frames=8, fps=8, with_audio=True, size=(32, 24))
    video = fake_latest.InputImpl.VideoFromFile
    node = nodes["SeedanceConcatVideos"]
    joined, info = (await node.execute(video_1=video(str(a)), video_3=video(str(b)))).args
    assert json.loads(info) == {"inputs": 2, "reencoded": False, "seconds": 5.0}
    out = Path(joined.get_stream_source())
    assert abs(_seconds(out) - 5.0) < 0.01 and np.array_equal(_last_decoded(out), _last_decoded(b))
    mixed = (await node.execute(video_1=video(str(a)), video_2=video(str(small)))).args[1]
    assert json.loads(mixed)["reencoded"] is True and json.loads(mixed)["seconds"] == 3.0
    with pytest.raises(NodeInputError, match="at least two"):
        await node.execute(video_1=video(str(a)))
    frames, _audio, fps, v1_info = V1_CLASSES["SeedanceConcatVideos"]().run(
        video_1=video(str(a)), video_2=video(str(b))
    )
    assert frames.shape[0] == 40 and json.loads(v1_info)["inputs"] == 2
    # fps is PyAV's average_rate: frames / the stream's duration field, which in a remux of
    # clips with B-frames stops two frames short (4.75 s of 5.0 s; the container and the
    # decoded frame times say 5.0 s). A core stitch quirk, noted in docs/design-notes.md.
    assert 8.0 <= fps < 8.5
