"""When to poll next: a pure schedule over a wall-clock deadline.

WaveSpeed asks for at least 5 s between polls of a video task and less often as time
passes; a generation takes minutes. The schedule starts at the caller's interval and,
once a generation has run longer than ``patience``, lengthens each wait by ``growth``
up to ``max_interval``. It never sleeps past the deadline, so a timeout is noticed on
time, and it is driven by an injected clock so tests need no sleeping.

Many waiters in one event loop (a triggerer holding a thousand deferred tasks) can poll
on a shared grid of :data:`POLL_TICK` (``AsyncSeedanceClient(poll_grid=...)``, which the
Airflow triggerer's shared client sets): each wait is stretched to end on the next tick
(:func:`tick_aligned`), so the loop wakes once per tick for a batch of polls instead of
once per poll. Measured in a real Airflow 3.3 triggerer with 1,000 waiting triggers,
that halves the CPU per poll (benchmarks/notes/bench_triggerer_density.md). A poll never
comes sooner than asked (the grid only rounds up), and at most one tick later; intervals
under :data:`MIN_COALESCED_INTERVAL` and the last wait before the deadline stay exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TIMEOUT",
    "MIN_COALESCED_INTERVAL",
    "POLL_TICK",
    "PollSchedule",
    "coalescible",
    "tick_aligned",
]

DEFAULT_POLL_INTERVAL: Final[float] = 5.0
DEFAULT_TIMEOUT: Final[float] = 1800.0
#: The grid (seconds) that coalesced poll waits end on; the most a poll is delayed by it.
POLL_TICK: Final[float] = 0.25
#: Shorter poll intervals are kept exact: a tick would stretch them by more than 10 %.
MIN_COALESCED_INTERVAL: Final[float] = 10 * POLL_TICK


def coalescible(interval: float, now: float, deadline: float) -> bool:
    """Whether a poll wait of ``interval`` may end on the grid: long enough to absorb a
    tick, and not the last wait, which must end at ``deadline`` itself."""
    return interval >= MIN_COALESCED_INTERVAL and now + interval < deadline


def tick_aligned(now: float, seconds: float, tick: float = POLL_TICK) -> float:
    """The clock reading at which a wait of ``seconds`` from ``now`` ends on the grid.

    The first multiple of ``tick`` at or after ``now + seconds``: never sooner than
    asked, at most ``tick`` later. Waiters that compute the same grid point get the
    same float, so an event loop fires their timers in one iteration.
    """
    end = now + max(seconds, 0.0)
    return math.ceil(end / tick) * tick


@dataclass
class PollSchedule:
    """Plans the delay before each poll until ``deadline`` (a clock reading, in seconds)."""

    poll_interval: float
    deadline: float
    started: float
    patience: float = 120.0
    growth: float = 1.15
    max_interval: float = 30.0
    _interval: float = field(init=False)

    def __post_init__(self) -> None:
        if self.poll_interval <= 0:
            raise ValueError(f"poll_interval must be > 0 seconds, got {self.poll_interval!r}")
        self._interval = self.poll_interval

    @classmethod
    def starting_now(cls, now: float, *, poll_interval: float, timeout: float) -> PollSchedule:
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        return cls(poll_interval=poll_interval, deadline=now + timeout, started=now)

    def next_delay(self, now: float) -> float | None:
        """Seconds to wait before the next poll, or ``None`` when the deadline has passed."""
        remaining = self.deadline - now
        if remaining <= 0:
            return None
        delay = self._interval
        if now - self.started >= self.patience:
            ceiling = max(self.max_interval, self.poll_interval)
            self._interval = min(self._interval * self.growth, ceiling)
        return min(delay, remaining)
