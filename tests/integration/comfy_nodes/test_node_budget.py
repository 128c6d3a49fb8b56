"""The session cap against the simulator: refused before paying (no upload, no submit),
safe when nodes run at the same time, released when a submit provably created nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from comfy_nodes.budget import SessionCapError, ledger_for
from comfy_nodes.nodes import build_job
from comfy_nodes.runner import GenerationError, generate_video
from comfy_nodes.settings import load_settings
from seedance_simulator import Simulator
from shared_client import model_spec

from .conftest import RecordingHost

MODEL = "bytedance/seedance-2.0/text-to-video"
PRICE = model_spec(MODEL).price("720p", 5)  # type: ignore[union-attr]  # $1.20


def _job(scratch: Path, image: torch.Tensor, seed: int) -> Any:
    return build_job(
        "SeedanceTextToVideo",
        scratch,
        prompt=f"@Image1 in the rain, take {seed}",
        model=MODEL,
        resolution="720p",
        aspect_ratio="16:9",
        duration=5,
        generate_audio=True,
        enable_web_search=False,
        seed=seed,
        reference_image_1=image,
    )


async def test_a_run_over_the_cap_fails_before_any_upload_or_submit(
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    user_settings: Callable[..., Path],
) -> None:
    config = user_settings(max_cost_usd=1.0)
    with pytest.raises(SessionCapError) as info:
        await generate_video(_job(node_env, start_image, 1), load_settings(), RecordingHost())
    message = str(info.value)
    assert message.startswith("max_cost_usd: this run costs $1.2000 USD (pricing API)")
    assert "only $1.0000 of the session cap of $1.0000 remains" in message
    assert "$0.0000 spent this session" in message and str(config) in message
    stats = simulator.stats()
    assert (stats["submissions"], stats["uploads"]) == (0, 0)


async def test_spent_money_counts_and_a_reuse_stays_free_once_the_cap_is_reached(
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    user_settings: Callable[..., Path],
) -> None:
    user_settings(max_cost_usd=2.0)
    first = await generate_video(_job(node_env, start_image, 2), load_settings(), RecordingHost())
    assert first.new_charge and first.cost_usd == pytest.approx(PRICE)
    with pytest.raises(SessionCapError, match=r"only \$0\.8000 .* \(\$1\.2000 spent this session"):
        await generate_video(_job(node_env, start_image, 3), load_settings(), RecordingHost())
    again = await generate_video(_job(node_env, start_image, 2), load_settings(), RecordingHost())
    assert again.from_cache and not again.new_charge  # same inputs + seed: nothing to pay
    user_settings(max_cost_usd=2.5)  # read at every run: no restart needed
    await generate_video(_job(node_env, start_image, 3), load_settings(), RecordingHost())
    assert simulator.stats()["submissions"] == 2
    assert ledger_for(simulator.base_url).spent == pytest.approx(2 * PRICE)


async def test_nodes_running_at_once_cannot_both_spend_the_last_remainder(
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    user_settings: Callable[..., Path],
) -> None:
    user_settings(max_cost_usd=PRICE * 1.5)
    settings = load_settings()
    outcomes = await asyncio.gather(
        *(
            generate_video(_job(node_env, start_image, s), settings, RecordingHost())
            for s in (4, 5)
        ),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, SessionCapError)]
    assert len(refused) == 1 and "reserved by runs being submitted" in str(refused[0])
    assert simulator.stats()["submissions"] == 1


async def test_a_submit_the_service_refused_releases_its_reservation(
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    user_settings: Callable[..., Path],
) -> None:
    user_settings(max_cost_usd=10.0)
    balance = simulator.balance()
    simulator.set_balance(0.5)  # the account cannot pay: HTTP 402, no task created
    try:
        with pytest.raises(GenerationError, match="lack of funds"):
            await generate_video(_job(node_env, start_image, 6), load_settings(), RecordingHost())
    finally:
        simulator.set_balance(balance)
    ledger = ledger_for(simulator.base_url)
    assert (ledger.spent, ledger.reserved) == (0.0, 0.0)
    assert simulator.stats()["submissions"] == 0
