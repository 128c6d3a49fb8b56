"""The whole family through one ``generate``, on every client, against the simulator.

Local media (a PNG, a real MP4 and a WAV reference) is uploaded by the client, each file
once; every video is downloaded and decoded, and its length checked (extend: the input
plus the new seconds). Money: a quote equals the simulator's price, a cap and a short
balance refuse with nothing submitted, and the offline table answers when pricing is down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seedance_simulator import Simulator
from shared_client import (
    BudgetExceededError,
    ImageToVideoRequest,
    InsufficientBalanceError,
    TextToVideoRequest,
    VideoEditRequest,
    VideoExtendRequest,
)
from tests.support.media import make_png, probe_mp4, wav_bytes, write_mp4


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 3 s H.264/AAC MP4 (24 fps) to extend, edit or use as a reference."""
    path = tmp_path_factory.mktemp("media") / "input.mp4"
    write_mp4(path, frames=72, fps=24, with_audio=True, size=(160, 96))
    return path


@pytest.fixture
def money(sim: Simulator) -> Any:
    yield sim
    sim.set_balance(1_000_000.0)
    sim.set_faults()


async def _made(client: Any, prediction: Any, tmp_path: Path) -> dict[str, Any]:
    path = await client.download(prediction, tmp_path)
    return probe_mp4(path)


async def test_text_to_video_with_an_image_an_mp4_and_a_wav_reference(
    sim: Simulator, driver_factory: Any, clip: Path, tmp_path: Path
) -> None:
    client = driver_factory(sim.base_url)
    hero = make_png(32, 32, (220, 30, 30))
    request = TextToVideoRequest(
        prompt="@Image1 walks through the city, voice @Audio1",
        reference_images=[hero, hero],  # the same file twice: uploaded once
        reference_videos=[clip],
        reference_audios=[wav_bytes(2.0)],
        duration=4,
        resolution="480p",
        model="bytedance/seedance-2.0-fast/text-to-video",
    )
    done = await client.generate(request, poll_interval=0.1, timeout=60)
    video = await _made(client, done, tmp_path)
    assert video["duration"] == pytest.approx(4, abs=0.2)
    assert video["audio"] and video["frames"] > 0
    stats = sim.stats()
    assert stats["uploads"] == 3 and stats["submissions"] == 1


@pytest.mark.parametrize(
    "model",
    ["bytedance/seedance-2.0/image-to-video", "bytedance/seedance-2.0-fast/image-to-video"],
)
async def test_image_to_video_on_the_other_tiers(
    sim: Simulator, driver_factory: Any, tmp_path: Path, model: str
) -> None:
    client = driver_factory(sim.base_url)
    request = ImageToVideoRequest(prompt="push in", image=make_png(48, 32), model=model, duration=4)
    done = await client.generate(request, poll_interval=0.1, timeout=60)
    assert done.model == model
    assert (await _made(client, done, tmp_path))["duration"] == pytest.approx(4, abs=0.2)


async def test_extend_returns_the_input_followed_by_the_new_seconds(
    sim: Simulator, driver_factory: Any, clip: Path, tmp_path: Path
) -> None:
    client = driver_factory(sim.base_url)
    request = VideoExtendRequest(prompt="she keeps running", video=clip, duration=4)
    done = await client.generate(request, poll_interval=0.1, timeout=60)
    assert (await _made(client, done, tmp_path))["duration"] == pytest.approx(3 + 4, abs=0.25)


async def test_edit_keeps_the_input_length(
    sim: Simulator, driver_factory: Any, clip: Path, tmp_path: Path
) -> None:
    client = driver_factory(sim.base_url)
    request = VideoEditRequest(prompt="make it night", video=clip, reference_images=[make_png()])
    done = await client.generate(request, poll_interval=0.1, timeout=60)
    assert (await _made(client, done, tmp_path))["duration"] == pytest.approx(3, abs=0.25)


async def test_a_quote_is_the_simulators_price_and_says_so(
    money: Simulator, driver_factory: Any
) -> None:
    client = driver_factory(money.base_url)
    request = TextToVideoRequest(prompt="x", duration=10, resolution="1080p")
    quote = await client.quote(request)
    assert quote.source == "api" and quote.currency == "USD"
    assert quote.usd == round(0.24 * 2.259 * 10, 4)
    assert money.stats()["submissions"] == 0


async def test_the_offline_table_answers_when_pricing_is_down(
    money: Simulator, driver_factory: Any
) -> None:
    money.set_faults(rate_503=1.0, scopes=("account",))
    client = driver_factory(money.base_url)
    quote = await client.quote(TextToVideoRequest(prompt="x", duration=5))
    assert quote.source == "table" and quote.usd == 1.2


async def test_a_cap_refuses_with_nothing_uploaded_or_submitted(
    money: Simulator, driver_factory: Any
) -> None:
    client = driver_factory(money.base_url)
    request = ImageToVideoRequest(prompt="x", image=make_png(), duration=10)  # mini: $1.20
    with pytest.raises(BudgetExceededError) as info:
        await client.generate(request, max_cost_usd=1.0, poll_interval=0.1)
    assert info.value.quote.source == "api"
    stats = money.stats()
    assert stats["submissions"] == 0 and stats["uploads"] == 0


async def test_a_short_balance_refuses_before_the_post_and_the_api_refuses_too(
    money: Simulator, driver_factory: Any
) -> None:
    money.set_balance(0.5)
    client = driver_factory(money.base_url)
    request = ImageToVideoRequest(prompt="x", image="https://example.invalid/x.png")  # $0.60
    with pytest.raises(InsufficientBalanceError) as info:
        await client.generate(request, check_balance=True, poll_interval=0.1)
    assert info.value.balance == 0.5 and info.value.required == 0.6
    assert money.stats()["submissions"] == 0
    with pytest.raises(InsufficientBalanceError) as refused:  # no check: the API says 402
        await client.generate(request, poll_interval=0.1)
    assert refused.value.status_code == 402
    assert money.stats()["submissions"] == 0


async def test_a_completed_run_is_charged_and_carries_its_cost(
    money: Simulator, driver_factory: Any
) -> None:
    money.set_balance(10.0)
    client = driver_factory(money.base_url)
    request = TextToVideoRequest(prompt="x", duration=4, resolution="480p",
                                 model="bytedance/seedance-2.0-mini/text-to-video")  # fmt: skip
    done = await client.generate(request, max_cost_usd=1.0, poll_interval=0.1, timeout=60)
    expected = round(0.12 * 0.465 * 4, 4)
    assert (done.cost_usd, done.cost_source) == (expected, "api")
    assert await client.balance() == pytest.approx(10.0 - expected)
