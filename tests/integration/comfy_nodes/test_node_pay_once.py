"""The nodes pay once when ComfyUI dies inside a submit or a submit's answer is lost (issue 17).

A "crash" here is :class:`Died` (a ``BaseException``, so no handler catches it) raised by a
client at a chosen point; the next run starts with empty memory (``runner._CACHES``
cleared, as after a restart) and only the on-disk index. The real ComfyUI process is killed
with SIGKILL in ``make e2e-comfyui``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from comfy_nodes import runner
from comfy_nodes.nodes import build_job
from comfy_nodes.pay_once import CONFIRMING
from comfy_nodes.result_cache import ResultCache
from comfy_nodes.runner import GenerationError, generate_video
from comfy_nodes.settings import load_settings
from seedance_simulator import Simulator
from shared_client import AsyncSeedanceClient, SubmitIntent
from tests.support.comfy import node_values
from tests.support.media import count_frames

from .conftest import RecordingHost


class Died(BaseException):
    """Stands in for SIGKILL of the ComfyUI process."""


def dying_client(crash_at: str) -> Any:
    """A client factory whose submit dies before the POST or after its answer."""

    class DyingClient(AsyncSeedanceClient):
        async def submit(self, request: Any, **kwargs: Any) -> Any:
            record = kwargs.get("on_intent")

            def then_die(intent: SubmitIntent) -> None:
                record(intent)
                raise Died

            if crash_at == "before_post":
                kwargs["on_intent"] = then_die
            prediction = await super().submit(request, **kwargs)
            raise Died(prediction.id)

    return lambda settings: DyingClient(api_key=settings.api_key, base_url=settings.base_url)


@pytest.fixture
def windows(simulator: Simulator, node_env: Path) -> Iterator[Simulator]:
    simulator.set_generation_time(1.0)
    yield simulator
    simulator.set_timing(history_lag=0.0, submit_hold=0.0)
    simulator.set_faults()


def _inputs(image: torch.Tensor, seed: int) -> Any:
    values = node_values(image, f"pay once, seed {seed}", seed)
    return build_job("SeedanceImageToVideo", Path("/nonexistent"), **values)


def _t2v(image: torch.Tensor, seed: int) -> Any:
    """A text-to-video job with a reference image: the shared runner for a new node."""
    return build_job(
        "SeedanceTextToVideo",
        Path("/nonexistent"),
        prompt=f"@Image1 on a pier, pay once, seed {seed}",
        model="bytedance/seedance-2.0-fast/text-to-video",
        resolution="480p",
        aspect_ratio="16:9",
        duration=4,
        generate_audio=False,
        enable_web_search=False,
        seed=seed,
        reference_image_1=image,
    )


async def test_a_run_that_died_after_the_answer_is_confirmed_and_adopted_after_restart(
    windows: Simulator, node_env: Path, start_image: torch.Tensor, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows.set_timing(history_lag=1.0)
    monkeypatch.setenv("SEEDANCE_SETTLE_WINDOW", "15")
    inputs, settings = _inputs(start_image, 301), load_settings()
    with pytest.raises(Died):
        await generate_video(inputs, settings, RecordingHost(), client_factory=dying_client("x"))
    [entry] = [ResultCache(node_env).get(inputs.fingerprint(settings.base_url))]
    assert entry is not None and entry.prediction_id is None and entry.intent
    assert windows.stats()["submissions"] == 1

    runner._CACHES.clear()  # a restart: only the index on disk is left
    host = RecordingHost()
    result = await generate_video(inputs, settings, host)
    assert count_frames(result.video_path) > 0
    assert any(text.startswith(CONFIRMING) for text in host.texts)
    assert windows.stats()["submissions"] == 1


async def test_a_run_that_died_before_the_post_submits_once_after_the_window(
    windows: Simulator, node_env: Path, start_image: torch.Tensor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDANCE_SETTLE_WINDOW", "1")
    inputs, settings = _inputs(start_image, 302), load_settings()
    with pytest.raises(Died):
        await generate_video(
            inputs, settings, RecordingHost(), client_factory=dying_client("before_post")
        )
    assert windows.stats()["submissions"] == 0
    runner._CACHES.clear()
    host = RecordingHost()
    result = await generate_video(inputs, settings, host)
    assert count_frames(result.video_path) > 0
    assert any(text.startswith(CONFIRMING) for text in host.texts)
    assert windows.stats()["submissions"] == 1


async def test_a_lost_answer_is_confirmed_while_the_node_says_so(
    windows: Simulator, node_env: Path, start_image: torch.Tensor, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows.set_faults(ambiguous_submit=1.0)
    windows.set_timing(history_lag=1.5)
    monkeypatch.setenv("SEEDANCE_SETTLE_WINDOW", "20")
    host = RecordingHost()
    result = await generate_video(_inputs(start_image, 303), load_settings(), host)
    assert count_frames(result.video_path) > 0
    assert any(text.startswith(CONFIRMING) for text in host.texts)
    assert windows.stats()["submissions"] == 1


@pytest.mark.parametrize("opt_in", [False, True])
async def test_after_an_empty_window_the_node_fails_unless_the_user_opted_in(
    windows: Simulator,
    node_env: Path,
    start_image: torch.Tensor,
    monkeypatch: pytest.MonkeyPatch,
    opt_in: bool,
) -> None:
    windows.set_faults(ambiguous_submit=1.0)
    windows.set_timing(history_lag=60.0)  # never shows within the window
    monkeypatch.setenv("SEEDANCE_SETTLE_WINDOW", "1")
    settings = dataclasses.replace(load_settings(), resubmit_after_settle=opt_in)
    inputs = _inputs(start_image, 304 + opt_in)
    if not opt_in:
        with pytest.raises(GenerationError, match=r"settle window.*NOT resubmitted"):
            await generate_video(inputs, settings, RecordingHost())
        assert windows.stats()["submissions"] == 1
        return
    # Opted in: one more submit after the empty window (its answer is lost too here), and
    # no third: at most two payments, the risk the user accepted.
    with pytest.raises(GenerationError):
        await generate_video(inputs, settings, RecordingHost())
    assert windows.stats()["submissions"] == 2


@pytest.mark.parametrize("crash_at", ["before_post", "after_answer"])
async def test_text_to_video_pays_once_across_a_crash_like_image_to_video(
    windows: Simulator,
    node_env: Path,
    start_image: torch.Tensor,
    monkeypatch: pytest.MonkeyPatch,
    crash_at: str,
) -> None:
    windows.set_timing(history_lag=0.5)
    monkeypatch.setenv("SEEDANCE_SETTLE_WINDOW", "2" if crash_at == "before_post" else "15")
    job, settings = _t2v(start_image, 310 + len(crash_at)), load_settings()
    with pytest.raises(Died):
        await generate_video(job, settings, RecordingHost(), client_factory=dying_client(crash_at))
    entry = ResultCache(node_env).get(job.fingerprint(settings.base_url))
    assert entry is not None and entry.intent and entry.cost_usd is not None  # priced first
    paid_before = windows.stats()["submissions"]
    assert paid_before == (0 if crash_at == "before_post" else 1)

    runner._CACHES.clear()
    host = RecordingHost()
    result = await generate_video(job, settings, host)
    assert count_frames(result.video_path) > 0
    assert any(text.startswith(CONFIRMING) for text in host.texts)
    assert windows.stats()["submissions"] == 1
    assert result.new_charge is (crash_at == "before_post")
    assert result.cost_usd == entry.cost_usd and result.cost_source == "api"
