"""Poll waits that end on the shared grid, so many waiters in one event loop wake together.

Why: a triggerer runs a thousand deferred tasks' polls on one loop. Waits that end at
scattered instants cost one loop iteration (a wake-up, an ``epoll`` call, the host's
own per-iteration work) per poll; waits that end on the same tick share one. See
:func:`.polling.tick_aligned` for the grid and the measurements behind it.
"""

from __future__ import annotations

import asyncio

from .effects import Sleep
from .polling import tick_aligned

__all__ = ["sleep_until_tick", "wait_out"]


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def sleep_until_tick(seconds: float, tick: float) -> None:
    """Sleep ``seconds``, ending on the grid of ``tick`` (:func:`~.polling.tick_aligned`).

    The timer is set with ``call_at`` on the grid point itself, not with
    ``asyncio.sleep``, which re-reads the clock: every waiter due on one tick then has
    exactly the same deadline, and the loop runs them all in one iteration.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    handle = loop.call_at(tick_aligned(loop.time(), seconds, tick), _wake, future)
    try:
        await future
    finally:
        handle.cancel()


async def wait_out(sleep: Sleep, grid: float | None) -> None:
    """Perform a :class:`~.effects.Sleep`: on the grid when it may be coalesced and the
    client has one (``AsyncSeedanceClient(poll_grid=...)``), exactly otherwise.

    A poll on the grid comes up to one tick late, never early (WaveSpeed asks for at
    least 5 s between polls). Off by default because it only pays where many waits share
    one loop; the Airflow triggerer's shared client turns it on.
    """
    if sleep.coalesce and grid:
        await sleep_until_tick(sleep.seconds, grid)
    else:
        await asyncio.sleep(sleep.seconds)
