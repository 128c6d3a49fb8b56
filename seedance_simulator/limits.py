"""Account levels: WaveSpeed's concurrency and per-minute limits, enforced like the service.

Why: the provider must be proven at the account's limits, not only on an unlimited
server. WaveSpeed limits each account by level (Bronze 2 concurrent tasks and 2 videos a
minute, Silver 300 and 500, Gold 3,000 and 3,000, Ultra 10,000 and 5,000): tasks over
the concurrency limit wait in its queue (status ``queued``) until a slot frees, and a
submit over the per-minute limit gets HTTP 429 with ``Retry-After`` and creates nothing.

``time_scale`` K shrinks the per-minute window to 60/K seconds (and ``Retry-After`` with
it), so an hour of Silver traffic runs in a minute at K=60. Generation time is not
scaled: it is its own setting (``--generation-time``), in real seconds.

The limiter lives on the server's event loop; its counters are read from the test thread
under a lock, like :class:`~.state.Stats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: level -> (max concurrent tasks, videos per minute); None = no limit. The reference's
#: table (`seedance-2.0-family.md`, "Account levels"); "unlimited" is the simulator's
#: default so runs that do not care about limits behave as before.
LEVELS: dict[str, tuple[int | None, int | None]] = {
    "bronze": (2, 2),
    "silver": (300, 500),
    "gold": (3000, 3000),
    "ultra": (10000, 5000),
    "unlimited": (None, None),
}
DEFAULT_LEVEL = "unlimited"
WINDOW_SECONDS = 60.0
#: Bounds on what the stats keep, so a soak run cannot grow them without end.
MAX_SAMPLES = 200_000


def _limit(value: Any, name: str) -> int | None:
    """A limit from a flag or JSON: a positive integer, or 0/None for "no limit"."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{name}={value!r}: an integer >= 0 (0: no limit)")
    if value < 0:
        raise ValueError(f"{name}={value!r}: an integer >= 0 (0: no limit)")
    return int(value) or None


@dataclass(frozen=True)
class AccountLimits:
    """The limits in force: a level's, with explicit numbers overriding it."""

    level: str = DEFAULT_LEVEL
    max_concurrent: int | None = None
    videos_per_minute: int | None = None
    time_scale: float = 1.0

    @classmethod
    def resolve(
        cls,
        level: str | None = None,
        *,
        max_concurrent: Any = None,
        videos_per_minute: Any = None,
        time_scale: Any = 1.0,
        base: AccountLimits | None = None,
    ) -> AccountLimits:
        """Limits from a level and/or explicit values; unset parts keep ``base``'s.

        Raises ``ValueError`` naming the setting and its allowed values.
        """
        current = base or cls()
        name = current.level if level is None else str(level).lower()
        if name not in LEVELS:
            raise ValueError(f"account_level={level!r}: allowed {', '.join(LEVELS)}")
        concurrent, per_minute = (
            (current.max_concurrent, current.videos_per_minute) if level is None else LEVELS[name]
        )
        if max_concurrent is not None:
            concurrent = _limit(max_concurrent, "max_concurrent")
        if videos_per_minute is not None:
            per_minute = _limit(videos_per_minute, "videos_per_minute")
        scale = current.time_scale if time_scale is None else time_scale
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
            raise ValueError(f"time_scale={scale!r}: a number > 0")
        return cls(name, concurrent, per_minute, float(scale))

    @property
    def window(self) -> float:
        """Real seconds of the per-minute window."""
        return WINDOW_SECONDS / self.time_scale

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_level": self.level,
            "max_concurrent": self.max_concurrent,
            "videos_per_minute": self.videos_per_minute,
            "time_scale": self.time_scale,
            "window_seconds": self.window,
        }


def retry_after_header(seconds: float, time_scale: float) -> str:
    """``Retry-After`` text: whole seconds (rounded up) at real time, as the HTTP spec has
    it; milliseconds when scaled, since a scaled wait is often below one second."""
    if time_scale == 1.0:
        return str(max(1, math.ceil(seconds)))
    return f"{max(0.001, math.ceil(seconds * 1000) / 1000):g}"


class Limiter:
    """The per-minute window of accepted submits and the FIFO queue of concurrency slots."""

    def __init__(
        self, limits: AccountLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or AccountLimits()
        self._clock = clock
        self._lock = threading.Lock()
        self._accepted: deque[float] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._running = 0
        self._max_running = 0
        self._max_queued = 0
        self._samples: list[dict[str, Any]] = []
        self._rejected: list[float] = []
        self._rejected_count = 0

    # -- the per-minute limit (submit handler, synchronous: no await between check and use)
    def retry_after(self) -> float | None:
        """Seconds until one more submit fits the window, or None if it fits now."""
        limit = self.limits.videos_per_minute
        if limit is None:
            return None
        now = self._clock()
        window = self.limits.window
        while self._accepted and self._accepted[0] <= now - window:
            self._accepted.popleft()
        if len(self._accepted) < limit:
            return None
        return self._accepted[-limit] + window - now

    def accepted(self) -> None:
        """Count a created task against the window."""
        self._accepted.append(self._clock())

    def rejected(self) -> None:
        """Record one 429 (its wall-clock time)."""
        with self._lock:
            if len(self._rejected) < MAX_SAMPLES:
                self._rejected.append(time.time())
            else:
                self._rejected[-1] = time.time()
            self._rejected_count += 1

    # -- the concurrency limit (task lifecycle) --
    def try_acquire(self) -> bool:
        """Take a slot now if one is free and nobody queues before us."""
        limit = self.limits.max_concurrent
        if self._waiters or (limit is not None and self._running >= limit):
            return False
        self._running += 1
        self._sample()
        return True

    async def wait_for_slot(self) -> None:
        """Queue (FIFO) until a slot is handed over; a cancelled waiter gives it back."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        self._sample()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the slot was ours already
            else:
                self._drop(future)
            raise

    def release(self) -> None:
        self._running -= 1
        self._wake()
        self._sample()

    def reconfigure(self, limits: AccountLimits) -> None:
        """New limits; a raised concurrency limit starts queued tasks at once."""
        self.limits = limits
        self._wake()
        self._sample()

    def _drop(self, future: asyncio.Future[None]) -> None:
        with contextlib.suppress(ValueError):
            self._waiters.remove(future)
        self._sample()

    def _wake(self) -> None:
        limit = self.limits.max_concurrent
        while self._waiters and (limit is None or self._running < limit):
            future = self._waiters.popleft()
            if future.done():
                continue
            self._running += 1
            future.set_result(None)

    def _sample(self) -> None:
        with self._lock:
            queued = len(self._waiters)
            self._max_running = max(self._max_running, self._running)
            self._max_queued = max(self._max_queued, queued)
            sample = {"t": time.time(), "queued": queued, "running": self._running}
            if self._samples and self._samples[-1]["t"] == sample["t"]:
                self._samples[-1] = sample
            elif len(self._samples) < MAX_SAMPLES:
                self._samples.append(sample)

    # -- stats --
    def reset(self) -> None:
        """Zero the recorded history and the per-minute window (a test starts afresh); the
        tasks running or queued keep their slots and places."""
        self._accepted.clear()
        with self._lock:
            self._samples.clear()
            self._rejected.clear()
            self._rejected_count = 0
            self._max_running = self._running
            self._max_queued = len(self._waiters)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                **self.limits.to_dict(),
                "running": self._running,
                "queued": len(self._waiters),
                "max_running": self._max_running,
                "max_queued": self._max_queued,
                "queue_samples": list(self._samples),
                "rate_limited": self._rejected_count,
                "rate_limited_at": list(self._rejected),
            }
