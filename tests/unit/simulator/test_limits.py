"""The simulator's account limits without a socket: levels, overrides, the window, the queue."""

from __future__ import annotations

import asyncio

import pytest

from seedance_simulator.limits import LEVELS, AccountLimits, Limiter, retry_after_header


def test_levels_are_the_reference_table() -> None:
    assert LEVELS["bronze"] == (2, 2)
    assert LEVELS["silver"] == (300, 500)
    assert LEVELS["gold"] == (3000, 3000)
    assert LEVELS["ultra"] == (10000, 5000)
    assert AccountLimits() == AccountLimits("unlimited", None, None, 1.0)


def test_explicit_numbers_override_the_level_and_unset_parts_are_kept() -> None:
    silver = AccountLimits.resolve("Silver", max_concurrent=5)
    assert (silver.level, silver.max_concurrent, silver.videos_per_minute) == ("silver", 5, 500)
    faster = AccountLimits.resolve(time_scale=60, base=silver)
    assert (faster.max_concurrent, faster.videos_per_minute, faster.window) == (5, 500, 1.0)
    assert AccountLimits.resolve("bronze", base=faster).max_concurrent == 2
    assert AccountLimits.resolve(videos_per_minute=0, base=silver).videos_per_minute is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"level": "platinum"}, "account_level"),
        ({"max_concurrent": -1}, "max_concurrent"),
        ({"max_concurrent": 1.5}, "max_concurrent"),
        ({"videos_per_minute": "ten"}, "videos_per_minute"),
        ({"time_scale": 0}, "time_scale"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        AccountLimits.resolve(**kwargs)  # type: ignore[arg-type]


def test_retry_after_header_is_whole_seconds_unscaled_and_ms_when_scaled() -> None:
    assert retry_after_header(12.2, 1.0) == "13"
    assert retry_after_header(0.0, 1.0) == "1"
    assert retry_after_header(0.2501, 60.0) == "0.251"
    assert retry_after_header(0.0, 60.0) == "0.001"


def test_the_window_counts_accepted_submits_and_slides() -> None:
    now = [100.0]
    limiter = Limiter(AccountLimits.resolve(videos_per_minute=2), clock=lambda: now[0])
    assert limiter.retry_after() is None
    limiter.accepted()
    now[0] = 110.0
    limiter.accepted()
    assert limiter.retry_after() == pytest.approx(50.0)  # the first leaves at 160
    now[0] = 160.0
    assert limiter.retry_after() is None
    limiter.rejected()
    assert limiter.snapshot()["rate_limited"] == 1
    limiter.accepted()
    limiter.accepted()
    assert limiter.retry_after() is not None
    limiter.reset()  # a test starts with the whole minute's allowance
    assert limiter.retry_after() is None and limiter.snapshot()["rate_limited"] == 0


def test_slots_go_to_waiters_first_in_first_out() -> None:
    async def scenario() -> list[int]:
        limiter = Limiter(AccountLimits.resolve(max_concurrent=1))
        started: list[int] = []
        assert limiter.try_acquire()

        async def task(i: int) -> None:
            await limiter.wait_for_slot()
            started.append(i)

        waiters = [asyncio.create_task(task(i)) for i in range(3)]
        await asyncio.sleep(0)
        assert limiter.snapshot()["queued"] == 3 and not limiter.try_acquire()
        waiters[1].cancel()  # a cancelled waiter leaves the queue without a slot
        for _ in range(3):
            limiter.release()
            await asyncio.sleep(0)
        await asyncio.gather(*waiters, return_exceptions=True)
        snap = limiter.snapshot()
        assert snap["max_queued"] == 3 and snap["max_running"] == 1 and snap["queued"] == 0
        return started

    assert asyncio.run(scenario()) == [0, 2]


def test_raising_the_limit_starts_queued_tasks_at_once() -> None:
    async def scenario() -> int:
        limiter = Limiter(AccountLimits.resolve(max_concurrent=1))
        assert limiter.try_acquire()
        waiters = [asyncio.create_task(limiter.wait_for_slot()) for _ in range(2)]
        await asyncio.sleep(0)
        limiter.reconfigure(AccountLimits.resolve(max_concurrent=3))
        await asyncio.gather(*waiters)
        return int(limiter.snapshot()["running"])

    assert asyncio.run(scenario()) == 3
