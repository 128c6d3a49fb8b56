"""Waiting inside a ComfyUI node: short slices, progress text, and interrupts honoured.

Why a module of its own: the generation wait, the download and the "confirming whether
the request was received" search after a lost answer all wait the same way, and each must
free ComfyUI's queue at once when the user presses cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn, Protocol, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How often the wait loop checks for an interrupt and refreshes the node's text.
WAIT_SLICE_SECONDS = 0.25


class HostHooks(Protocol):
    """What the runner needs from its host (ComfyUI, or a test)."""

    def show_progress(self, text: str, fraction: float | None) -> None: ...

    def interrupt_requested(self) -> bool: ...

    def raise_interrupted(self, message: str) -> NoReturn: ...


async def sliced(
    work: Awaitable[T],
    host: HostHooks,
    describe: Callable[[], tuple[str, float]],
    prediction_id: str,
) -> T:
    """Await ``work`` in short slices, refreshing progress and honouring interrupts.

    On an interrupt the polling/download task is cancelled at once (the event loop and
    ComfyUI's queue are free again immediately). WaveSpeed has no cancel endpoint, so
    the remote job keeps running and is billed; the message says so, and that queueing
    the same inputs + seed again picks its result up without paying again.
    """
    task: asyncio.Future[T] = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=WAIT_SLICE_SECONDS)
            if task in done:
                return task.result()
            if host.interrupt_requested():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                message = (
                    f"Interrupted: stopped waiting for prediction {prediction_id}. WaveSpeed has "
                    "no cancel endpoint, so the remote job keeps running and is billed. Queue the "
                    "same inputs and seed again to collect its video without paying again."
                )
                logger.warning("seedance: %s", message)
                host.raise_interrupted(message)
            text, fraction = describe()
            host.show_progress(text, fraction)
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
