"""What a person sees while a prediction runs.

On a terminal one line is redrawn in place (``\\r`` + clear-to-end) by a small ticker
thread, so the elapsed time moves even between polls (the client only reports status
changes). Anywhere else (a pipe, a CI log) a redrawn line is noise, so each status change
is one plain line. Progress goes to stderr: stdout stays free for results and ``--json``.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

from .. import RESOLUTION_PRICE_FACTORS, Prediction, ShotUpdate, model_spec

#: Rough render seconds per output second at 720p, by tier. An estimate for the progress
#: line only (never for billing or timeouts): observed runs take minutes, the fast and mini
#: tiers about half of standard. Remaining = this x duration x resolution price factor
#: (the factor tracks output tokens, hence work) minus the elapsed time.
_SECONDS_PER_OUTPUT_SECOND = {"standard": 12.0, "fast": 6.0, "mini": 6.0}


def estimate_seconds(model: str | None, duration: float | None, resolution: str | None) -> float:
    """Expected render time of one run (see ``_SECONDS_PER_OUTPUT_SECOND``)."""
    spec = model_spec(model) if model else None
    per_second = _SECONDS_PER_OUTPUT_SECOND.get(spec.tier if spec else "standard", 12.0)
    factor = RESOLUTION_PRICE_FACTORS.get(resolution or "720p", 1.0)
    return per_second * float(duration or 5) * factor


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Reports one prediction's progress; use as a context manager around the wait."""

    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool,
        expected: float,
        prediction_id: str | None = None,
        tick: float = 0.5,
    ) -> None:
        self._stream = stream
        self._live = live
        self._expected = expected
        self._tick = tick
        self._started = time.monotonic()
        self._status = "submitting"
        self._id = prediction_id
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self._live:
            self._thread = threading.Thread(target=self._run, name="seedance-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            with self._lock:
                self._stream.write("\n")
                self._stream.flush()

    def submitted(self, prediction: Prediction) -> None:
        self._id = prediction.id
        self.update(prediction)

    def update(self, prediction: Prediction) -> None:
        """The client's ``on_update``: called once per status change."""
        repeated = prediction.id == self._id and prediction.status.value == self._status
        self._id = prediction.id
        self._status = prediction.status.value
        if repeated:  # the wait's first report repeats the submit's "created"
            return
        if self._live:
            self._draw()
        else:
            with self._lock:
                self._stream.write(f"{prediction.id}: {self._status} ({self._elapsed()})\n")
                self._stream.flush()

    def _elapsed(self) -> str:
        return f"{_clock(time.monotonic() - self._started)} elapsed"

    def _line(self) -> str:
        elapsed = time.monotonic() - self._started
        left = self._expected - elapsed
        eta = f"~{_clock(left)} left" if left > 0 else "taking longer than usual"
        who = self._id or "new prediction"
        return f"{who}: {self._status}  {_clock(elapsed)} elapsed, {eta}"

    def _draw(self) -> None:
        with self._lock:
            self._stream.write("\r\x1b[K" + self._line())
            self._stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._tick):
            self._draw()


def story_line(stream: TextIO, update: ShotUpdate) -> None:
    """One line per shot update (a board runs several shots at once: no redrawing)."""
    stream.write(f"{update}\n")
    stream.flush()
