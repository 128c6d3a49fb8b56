"""Both clients against the simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from seedance_simulator import Simulator
from shared_client import (
    AuthenticationError,
    GenerationFailedError,
    GenerationTimeoutError,
    ImageToVideoRequest,
    InvalidRequestError,
    PredictionStatus,
    SubmissionUncertainError,
)
from tests.support.media import probe_mp4


def decode(path: Path) -> tuple[int, int, float]:
    """Width, height and seconds of playback (frames over frame rate), decoding every frame."""
    info = probe_mp4(path)
    return info["width"], info["height"], info["frames"] / info["fps"]


async def test_generate_uploads_a_local_image_submits_once_and_downloads_a_real_video(
    sim: Simulator, driver_factory: Any, png_path: Path, tmp_path: Path
) -> None:
    client = driver_factory(sim.base_url)
    updates: list[PredictionStatus] = []
    request = ImageToVideoRequest(prompt="slow push-in on a red square", image=png_path, duration=4)
    prediction = await client.generate(
        request, poll_interval=0.1, timeout=30, on_update=lambda p: updates.append(p.status)
    )
    assert prediction.is_success and prediction.outputs
    assert updates[-1] is PredictionStatus.COMPLETED
    assert prediction.inference_ms is not None
    path = await client.download(prediction, tmp_path)
    assert path == tmp_path / f"{prediction.id}.mp4"
    width, height, seconds = decode(path)
    assert width > 0 and height > 0
    assert seconds == pytest.approx(4, abs=0.5)
    stats = sim.stats()
    assert stats["submissions"] == 1
    assert list(stats["submissions_by_fingerprint"].values()) == [1]
    assert stats["uploads"] == 1


async def test_upload_of_a_path_and_of_bytes_gives_urls_the_api_accepts(
    sim: Simulator, driver_factory: Any, png_path: Path, png_bytes: bytes
) -> None:
    client = driver_factory(sim.base_url)
    from_path = await client.upload(png_path)
    from_bytes = await client.upload(png_bytes)
    assert from_path.startswith("http") and from_bytes.startswith("http")
    prediction = await client.generate(
        ImageToVideoRequest(prompt="x", image=from_path, last_image=from_bytes),
        poll_interval=0.1,
        timeout=30,
    )
    assert prediction.is_success


async def test_a_failed_generation_raises_with_the_api_message_and_code(
    sim: Simulator, driver_factory: Any, png_bytes: bytes
) -> None:
    sim.set_faults(failed_generation=1.0, failure_codes=(1200,))
    client = driver_factory(sim.base_url)
    with pytest.raises(GenerationFailedError) as info:
        await client.generate(
            ImageToVideoRequest(prompt="x", image=png_bytes), poll_interval=0.1, timeout=30
        )
    assert info.value.code == 1200
    assert info.value.error and "moderation" in info.value.error
    assert info.value.prediction_id
    assert sim.stats()["submissions"] == 1


async def test_an_ambiguous_submit_sends_exactly_one_post_and_says_so(
    sim: Simulator, driver_factory: Any
) -> None:
    sim.set_faults(ambiguous_submit=1.0)
    client = driver_factory(sim.base_url)
    with pytest.raises(SubmissionUncertainError) as info:
        await client.submit(
            ImageToVideoRequest(prompt="x", image=f"{sim.base_url}/nothing.png"), reconcile=False
        )
    assert "NOT resent" in str(info.value)
    stats = sim.stats()
    assert stats["submissions"] == 1
    assert list(stats["submissions_by_fingerprint"].values()) == [1]
    assert list(stats["submissions_by_fingerprint"]) == [info.value.fingerprint]


async def test_an_uncertain_submit_is_reconciled_from_the_history_without_paying_again(
    sim: Simulator, driver_factory: Any, png_bytes: bytes
) -> None:
    sim.set_faults(ambiguous_submit=1.0)
    client = driver_factory(sim.base_url)
    with pytest.raises(SubmissionUncertainError) as info:
        await client.submit(
            ImageToVideoRequest(prompt="reconcile me", image=png_bytes), reconcile=False
        )
    sim.set_faults()
    found = await client.find_submission(info.value)
    assert found is not None
    assert sim.task(found.id) is not None
    done = await client.wait(found.id, poll_interval=0.1, timeout=30)
    assert done.is_success
    assert sim.stats()["submissions"] == 1


async def test_submit_reconciles_a_lost_answer_by_itself(
    sim: Simulator, driver_factory: Any, png_bytes: bytes
) -> None:
    sim.set_faults(ambiguous_submit=1.0)
    client = driver_factory(sim.base_url)
    prediction = await client.submit(ImageToVideoRequest(prompt="lost answer", image=png_bytes))
    assert sim.task(prediction.id) is not None
    stats = sim.stats()
    assert stats["submissions"] == 1
    assert stats["responses_by_status"].get("502") == 1


async def test_a_bad_key_fails_at_once_without_retrying(
    sim: Simulator, driver_factory: Any
) -> None:
    client = driver_factory(sim.base_url, api_key="wrong-key")
    with pytest.raises(AuthenticationError) as info:
        await client.get_prediction("whatever")
    assert "wrong-key" not in str(info.value)
    # Exactly one 401 answered: the client did not retry. (Other requests may be the
    # simulator fetching an earlier test's image from itself.)
    assert sim.stats()["responses_by_status"].get("401") == 1


async def test_invalid_requests_send_nothing(sim: Simulator, driver_factory: Any) -> None:
    client = driver_factory(sim.base_url)
    before = sim.stats()["requests"]
    with pytest.raises(InvalidRequestError):
        await client.submit(ImageToVideoRequest(prompt="x", image="https://cdn/x.png", duration=16))
    assert sim.stats()["requests"] == before


async def test_flaky_reads_are_retried_until_the_video_is_collected(
    sim: Simulator, driver_factory: Any, png_bytes: bytes, tmp_path: Path
) -> None:
    client = driver_factory(sim.base_url)
    prediction = await client.submit(ImageToVideoRequest(prompt="x", image=png_bytes))
    # About 30% of reads fail, of every kind: six in a row (the retry budget) is ~0.07%.
    sim.set_faults(
        rate_429=0.1,
        retry_after=0.05,
        rate_500=0.07,
        rate_503=0.07,
        html_fraction=0.5,
        rate_reset=0.06,
        scopes=("result", "output"),
        seed=11,
    )
    done = await client.wait(prediction.id, poll_interval=0.05, timeout=60)
    path = await client.download(done, tmp_path)
    assert path.stat().st_size > 0
    stats = sim.stats()
    assert stats["submissions"] == 1
    assert sum(stats["faults_injected"].values()) > 0


async def test_a_generation_still_running_at_the_deadline_times_out(
    sim: Simulator, driver_factory: Any, png_bytes: bytes
) -> None:
    sim.set_generation_time(30)
    client = driver_factory(sim.base_url)
    prediction = await client.submit(ImageToVideoRequest(prompt="x", image=png_bytes))
    started = time.monotonic()
    with pytest.raises(GenerationTimeoutError) as info:
        await client.wait(prediction.id, poll_interval=0.2, timeout=1.0)
    assert time.monotonic() - started < 15  # the 1 s timeout, not the 30 s generation
    assert info.value.prediction_id == prediction.id
    assert info.value.last_status in ("created", "processing")
