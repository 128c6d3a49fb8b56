"""``SeedanceImageToVideo.execute`` end to end against the simulator, without ComfyUI."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

import pytest
import torch

from comfy_nodes.nodes import SeedanceImageToVideoV1, build_job, make_v3_classes
from comfy_nodes.runner import GenerationError, NodeInputError, NodeJob, generate_video
from comfy_nodes.settings import MissingApiKeyError, load_settings
from seedance_simulator import Simulator
from tests.support.comfy import load_fake_comfy_latest, node_values
from tests.support.media import count_frames
from tests.support.net import closed_port_url

from .conftest import SENTINEL_KEY, Interrupted, RecordingHost


@pytest.fixture(scope="module")
def v3_node() -> type:
    node, _ = make_v3_classes(load_fake_comfy_latest("fake_comfy_api_latest_it"))
    return node


def _kwargs(image: torch.Tensor, **overrides: object) -> dict[str, object]:
    return node_values(image, "a slow dolly-in on a gradient", 1, **overrides)


def _job(scratch: Path, image: torch.Tensor, **overrides: object) -> NodeJob:
    return build_job("SeedanceImageToVideo", scratch, **_kwargs(image, **overrides))


def _files_containing(folder: Path, needle: bytes) -> list[Path]:
    files = [f for f in folder.rglob("*") if f.is_file()]
    assert files, "expected the video and the cache index on disk"
    return [f for f in files if needle in f.read_bytes()]


async def test_execute_returns_a_video_file_and_its_url(
    v3_node: type, node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    output = await v3_node.execute(**_kwargs(start_image))
    video, url, info = output.args
    path = Path(video.get_stream_source())
    assert path.parent == node_env and path.suffix == ".mp4"
    assert count_frames(path) > 0
    assert url.startswith(simulator.base_url)
    assert simulator.stats()["submissions"] == 1
    details = json.loads(info)
    assert details["video_url"] == url and details["seconds"] == 4.0
    assert details["model"] == "bytedance/seedance-2.0-mini/image-to-video"
    assert (details["price_source"], details["currency"], details["new_charge"]) == (
        "api",
        "USD",
        True,
    )
    assert details["price_usd"] == pytest.approx(0.12 * 0.465 * 4, abs=1e-4)


async def test_same_inputs_and_seed_never_pay_twice_even_after_a_restart(
    v3_node: type, node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    from comfy_nodes import runner

    first = await v3_node.execute(**_kwargs(start_image, seed=7))
    runner._CACHES.clear()  # what a ComfyUI restart loses: all in-memory state
    second = await v3_node.execute(**_kwargs(start_image.clone(), seed=7))
    assert second.args[0].get_stream_source() == first.args[0].get_stream_source()
    assert second.args[1] == first.args[1]
    assert simulator.stats()["submissions"] == 1
    reused = json.loads(second.args[2])  # the price it cost then, and no new charge now
    assert reused["new_charge"] is False
    assert reused["price_usd"] == json.loads(first.args[2])["price_usd"]

    third = await v3_node.execute(**_kwargs(start_image, seed=8))  # new seed: a new run
    assert third.args[1] != first.args[1]
    changed = start_image.clone()
    changed[0, 0, 0, 0] = 0.5  # one pixel differs: a different request
    await v3_node.execute(**_kwargs(changed, seed=7))
    assert simulator.stats()["submissions"] == 3


async def test_interrupt_stops_waiting_at_once_and_a_rerun_reattaches_without_paying(
    node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    simulator.set_generation_time(4.0)
    inputs = _job(node_env.parent, start_image, seed=99)
    settings = load_settings()
    host = RecordingHost(interrupt_after=2)  # after the submit and one status refresh
    started = time.monotonic()
    with pytest.raises(Interrupted, match=r"no cancel endpoint.*keeps running and is billed"):
        await generate_video(inputs, settings, host)
    assert time.monotonic() - started < 3.5  # before the 4 s generation ends, even loaded
    assert simulator.stats()["submissions"] == 1
    await asyncio.sleep(0.5)  # a status read already on the wire may still land (load)
    polls_after_interrupt = simulator.stats()["polls"]
    await asyncio.sleep(1.0)  # two poll intervals and more: a live loop would have read
    assert simulator.stats()["polls"] == polls_after_interrupt  # polling really stopped

    result = await generate_video(inputs, settings, RecordingHost())
    assert not result.from_cache and count_frames(result.video_path) > 0
    assert simulator.stats()["submissions"] == 1  # re-attached to the running job


async def test_empty_prompt_is_rejected_before_any_request(
    v3_node: type, node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    with pytest.raises(NodeInputError, match=r"^prompt:"):
        await v3_node.execute(**_kwargs(start_image, prompt="   "))
    assert simulator.stats()["requests"] == 0


async def test_missing_key_is_reported_before_any_request(
    v3_node: type,
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WAVESPEED_API_KEY")
    with pytest.raises(MissingApiKeyError, match="WAVESPEED_API_KEY"):
        await v3_node.execute(**_kwargs(start_image))
    assert simulator.stats()["requests"] == 0


async def test_unreachable_service_is_reported_and_nothing_is_paid(
    v3_node: type, node_env: Path, start_image: torch.Tensor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVESPEED_BASE_URL", closed_port_url())  # a port nothing listens on
    monkeypatch.setenv("SEEDANCE_MAX_ATTEMPTS", "2")  # one retry, not 15 s of backoff
    with pytest.raises(GenerationError, match=r"^service: cannot reach.*Nothing was"):
        await v3_node.execute(**_kwargs(start_image))


async def test_failed_generation_is_reported_and_a_rerun_may_try_again(
    node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    simulator.set_faults(failed_generation=1.0)
    inputs = _job(node_env.parent, start_image, seed=5)
    settings = load_settings()
    with pytest.raises(GenerationError, match="failed"):
        await generate_video(inputs, settings, RecordingHost())
    simulator.set_faults(failed_generation=0.0)
    result = await generate_video(inputs, settings, RecordingHost())
    assert count_frames(result.video_path) > 0
    assert simulator.stats()["submissions"] == 2


async def test_the_key_appears_in_nothing_the_node_returns_writes_or_logs(
    v3_node: type,
    node_env: Path,
    start_image: torch.Tensor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        output = await v3_node.execute(**_kwargs(start_image, seed=3))
        host = RecordingHost()
        result = await generate_video(
            _job(node_env.parent, start_image, seed=3), load_settings(), host
        )
    video, url, info = output.args
    assert SENTINEL_KEY not in info
    assert SENTINEL_KEY not in url and SENTINEL_KEY not in repr(result)
    assert SENTINEL_KEY not in str(video.get_stream_source())
    assert host.texts and not [t for t in host.texts if SENTINEL_KEY in t]
    assert _files_containing(node_env, SENTINEL_KEY.encode()) == []
    assert SENTINEL_KEY not in caplog.text
    assert SENTINEL_KEY not in repr(load_settings())


def test_v1_fallback_returns_frames_audio_fps_and_url(
    node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    frames, audio, fps, url = SeedanceImageToVideoV1().generate(
        unique_id="12", **_kwargs(start_image, seed=11)
    )
    assert frames.ndim == 4 and frames.shape[0] > 1 and frames.shape[-1] == 3
    assert audio["waveform"].ndim == 3 and audio["sample_rate"] > 0
    assert fps > 0 and url.startswith(simulator.base_url)


async def test_two_identical_runs_at_once_share_one_payment(
    node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    inputs = _job(node_env.parent, start_image, seed=21)
    settings = load_settings()
    a, b = await asyncio.gather(
        generate_video(inputs, settings, RecordingHost()),
        generate_video(inputs, settings, RecordingHost()),
    )
    assert a.video_path == b.video_path and {a.from_cache, b.from_cache} == {True, False}
    assert simulator.stats()["submissions"] == 1


async def test_a_deleted_cached_video_is_downloaded_again_without_paying(
    v3_node: type, node_env: Path, simulator: Simulator, start_image: torch.Tensor
) -> None:
    first = await v3_node.execute(**_kwargs(start_image, seed=31))
    path = Path(first.args[0].get_stream_source())
    path.unlink()
    second = await v3_node.execute(**_kwargs(start_image, seed=31))
    assert Path(second.args[0].get_stream_source()) == path and count_frames(path) > 0
    assert simulator.stats()["submissions"] == 1
