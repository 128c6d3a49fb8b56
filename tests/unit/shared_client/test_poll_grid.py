"""Poll waits on a shared grid: many waiters in one event loop wake on the same tick.

Why it matters: a triggerer's loop runs a thousand waits; waits ending on one tick share
a loop iteration (measured in benchmarks/notes/bench_triggerer_density.md). These tests
hold the contract that makes that safe: a poll never comes sooner than asked, at most one
tick later, the last wait before a deadline is not stretched past it, and a cancelled
wait leaves the others alone.
"""

from __future__ import annotations

import asyncio

import pytest

from shared_client import flows
from shared_client._async_ticks import sleep_until_tick
from shared_client.polling import MIN_COALESCED_INTERVAL, POLL_TICK, tick_aligned

from .test_flows import BASE, Script, pred


@pytest.mark.parametrize("now", [0.0, 0.01, 12.3456, 99_999.99, 1e6 + 0.2])
@pytest.mark.parametrize("seconds", [0.0, 0.1, 5.0, 7.77])
def test_the_grid_never_comes_sooner_and_at_most_one_tick_later(now: float, seconds: float) -> None:
    end = tick_aligned(now, seconds)
    assert now + seconds <= end < now + seconds + POLL_TICK
    assert end / POLL_TICK == pytest.approx(round(end / POLL_TICK))


def test_waits_asked_within_one_tick_get_the_same_float() -> None:
    ends = {tick_aligned(100.0 + k * 0.01, 5.0) for k in range(1, 25)}
    assert ends == {105.25}


def test_a_negative_wait_ends_on_the_next_tick_not_in_the_past() -> None:
    assert tick_aligned(10.1, -3.0) == 10.25


def test_wait_flow_puts_regular_waits_on_the_grid_but_not_the_last_before_the_deadline() -> None:
    # 12 s timeout, 5 s polls: waits end at 5 and 10 (grid), then 2 s to the deadline (exact).
    script = Script([pred("processing")] * 4)
    with pytest.raises(flows.GenerationTimeoutError):
        script.run(flows.wait_flow(BASE, "p1", clock=script.clock, timeout=12, poll_interval=5))
    sleeps = [(e.seconds, e.coalesce) for e in script.effects if isinstance(e, flows.Sleep)]
    assert sleeps == [(5, True), (5, True), (2, False)]


def test_the_first_poll_delay_is_on_the_grid_unless_it_is_the_whole_timeout() -> None:
    script = Script([pred("completed", outputs=["u"])])
    script.run(
        flows.wait_flow(
            BASE, "p", clock=script.clock, timeout=60, poll_interval=5, first_poll_after=5
        )
    )
    assert script.effects[0] == flows.Sleep(5, coalesce=True)
    script = Script([pred("completed", outputs=["u"])])
    script.run(
        flows.wait_flow(
            BASE, "p", clock=script.clock, timeout=3, poll_interval=5, first_poll_after=5
        )
    )
    assert script.effects[0] == flows.Sleep(3, coalesce=False)


def test_short_poll_intervals_stay_exact() -> None:
    interval = MIN_COALESCED_INTERVAL / 2
    script = Script([pred("processing"), pred("completed", outputs=["u"])])
    script.run(flows.wait_flow(BASE, "p", clock=script.clock, timeout=60, poll_interval=interval))
    assert [e for e in script.effects if isinstance(e, flows.Sleep)] == [flows.Sleep(interval)]


def test_late_wakes_do_not_push_later_polls_back() -> None:
    # Every wait ends 0.2 s late (as on the grid): each poll is 0.2 s late, not k x 0.2 s.
    script = Script([pred("processing")] * 5 + [pred("completed", outputs=["u"])], late_wakes=0.2)
    script.run(flows.wait_flow(BASE, "p", clock=script.clock, timeout=600, poll_interval=5))
    assert script.call_times == pytest.approx([0.0, 5.2, 10.2, 15.2, 20.2, 25.2])


def test_the_grid_is_off_unless_the_client_asks_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Which timer each client sets, not how long it slept: elapsed time is the machine's
    # load as much as the code's (the grid's arithmetic is tested above, on numbers).
    from shared_client import AsyncSeedanceClient, _async_ticks

    timers: list[tuple[str, float, float | None]] = []

    async def exact(seconds: float) -> None:
        timers.append(("exact", seconds, None))

    async def on_grid(seconds: float, tick: float) -> None:
        timers.append(("grid", seconds, tick))

    monkeypatch.setattr(_async_ticks.asyncio, "sleep", exact)
    monkeypatch.setattr(_async_ticks, "sleep_until_tick", on_grid)

    async def main() -> None:
        for grid in (None, POLL_TICK):
            client = AsyncSeedanceClient(api_key="k", base_url="http://127.0.0.1:9", poll_grid=grid)
            await client._perform(flows.Sleep(0.05, coalesce=True))
            await client._perform(flows.Sleep(0.07, coalesce=False))  # never on the grid
            await client.aclose()

    asyncio.run(main())
    assert timers == [
        ("exact", 0.05, None), ("exact", 0.07, None),
        ("grid", 0.05, POLL_TICK), ("exact", 0.07, None),
    ]  # fmt: skip


def test_staggered_waiters_wake_in_one_loop_iteration_on_their_grid_point() -> None:
    async def main() -> list[tuple[float, float, float, int]]:
        loop = asyncio.get_running_loop()
        iterations = 0

        def count() -> None:  # one call per loop iteration, to tell iterations apart
            nonlocal iterations
            iterations += 1
            if not stopping:
                loop.call_soon(count)

        stopping = False
        loop.call_soon(count)
        woke: list[tuple[float, float, float, int]] = []

        async def waiter(delay: float) -> None:
            await asyncio.sleep(delay)
            now = loop.time()
            asked_end, target = now + 0.3, tick_aligned(now, 0.3)
            await sleep_until_tick(0.3, POLL_TICK)
            woke.append((asked_end, target, loop.time(), iterations))

        # Start within one tick so the waiters share a grid point on an idle machine; on a
        # loaded one they may straddle two, and each grid point must still wake as one.
        await asyncio.sleep(tick_aligned(loop.time(), 0.0) - loop.time() + 0.001)
        await asyncio.gather(*(waiter(k * 0.004) for k in range(20)))
        stopping = True
        return woke

    woke = asyncio.run(main())
    assert len(woke) == 20
    assert all(now >= asked for asked, _, now, _ in woke)  # never sooner than asked
    by_target: dict[float, set[int]] = {}
    for _, target, _, iteration in woke:
        by_target.setdefault(target, set()).add(iteration)
    assert all(len(iterations) == 1 for iterations in by_target.values()), by_target
    assert len(by_target) <= 3  # 20 waits asked within 0.08 s: one or two ticks, not twenty


def test_cancelling_one_grid_wait_leaves_the_others_and_clears_its_timer() -> None:
    async def main() -> tuple[bool, int, int]:
        loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(sleep_until_tick(0.2, POLL_TICK)) for _ in range(3)]
        await asyncio.sleep(0.01)
        tasks[0].cancel()
        await asyncio.sleep(0)
        scheduled = loop._scheduled  # type: ignore[attr-defined]
        cancelled_timers = sum(handle.cancelled() for handle in scheduled)
        finished = len(await asyncio.gather(*tasks[1:]))
        return tasks[0].cancelled(), cancelled_timers, finished

    cancelled, cancelled_timers, finished = asyncio.run(main())
    assert cancelled
    assert cancelled_timers == 1
    assert finished == 2
