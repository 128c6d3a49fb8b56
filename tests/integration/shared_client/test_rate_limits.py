"""The core client at the account's per-minute limit, over real HTTP against the simulator.

A 429 on submit created nothing, so the client sends the same request again after
``Retry-After`` (plus jitter), inside a bounded budget. Every generation succeeds and
each body is submitted exactly once; a wait longer than the budget reaches the caller as
``RateLimitError`` at once, without sleeping it out.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from seedance_simulator import Simulator
from shared_client import ImageToVideoRequest, RateLimitError, RetryPolicy
from tests.support.media import data_uri, pil_png

IMAGE = data_uri(pil_png((32, 32)))
PATIENT = RetryPolicy(max_attempts=12, max_elapsed=30.0, initial=0.05, maximum=0.5)


@pytest.fixture
def limited(sim: Simulator) -> Iterator[Simulator]:
    yield sim
    sim.set_limits("unlimited", time_scale=1.0)


async def test_n_generations_at_a_tiny_per_minute_limit_all_succeed_once_each(
    limited: Simulator, driver_factory: Any
) -> None:
    limited.set_limits(videos_per_minute=2, time_scale=60)  # 2 per second
    client = driver_factory(limited.base_url, retry=PATIENT)
    run = uuid.uuid4().hex[:8]
    requests = [ImageToVideoRequest(prompt=f"{run} shot {i}", image=IMAGE) for i in range(6)]
    results = await asyncio.gather(
        *(client.generate(r, timeout=60, poll_interval=0.2) for r in requests)
    )
    assert [p.status.value for p in results] == ["completed"] * 6
    assert len({p.id for p in results}) == 6
    stats = limited.stats()
    assert stats["submissions"] == 6
    assert sorted(stats["submissions_by_fingerprint"].values()) == [1] * 6
    assert stats["limits"]["rate_limited"] >= 1  # the burst was refused, then absorbed
    assert stats["by_model"][requests[0].model]["completed"] == 6


async def test_a_wait_beyond_the_submit_budget_reaches_the_caller_at_once(
    limited: Simulator, driver_factory: Any
) -> None:
    limited.set_limits(videos_per_minute=1, time_scale=1)  # Retry-After about 60 s
    client = driver_factory(limited.base_url, retry=RetryPolicy(submit_budget=5.0))
    await client.submit(ImageToVideoRequest(prompt=f"first {uuid.uuid4()}", image=IMAGE))
    started = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        await client.submit(ImageToVideoRequest(prompt=f"second {uuid.uuid4()}", image=IMAGE))
    assert time.monotonic() - started < 20  # the 5 s budget, not the 60 s Retry-After
    assert info.value.retry_after is not None and 55 <= info.value.retry_after <= 60
    assert info.value.status_code == 429
    stats = limited.stats()
    assert stats["submissions"] == 1 and stats["limits"]["rate_limited"] == 1
