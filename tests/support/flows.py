"""Drive ``shared_client.flows`` generators with a scripted executor instead of HTTP.

A flow yields effects (``Call``, ``PostMultipart``, ``PutUpload``, ``Sleep``) and is sent
each effect's result; :class:`Script` answers them from a list, records every effect and
keeps a fake clock that sleeps (and, optionally, reads) advance.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from shared_client import flows


class Script:
    """Answers each effect from a list of replies (a value, or an exception to throw in)."""

    def __init__(
        self, replies: list[Any], read_seconds: float = 0.0, late_wakes: float = 0.0
    ) -> None:
        self.replies = list(replies)
        self.read_seconds = read_seconds
        #: Every sleep ends this much late (a busy loop, a wait stretched onto a grid).
        self.late_wakes = late_wakes
        #: The clock reading at each ``Call`` (when each request was sent).
        self.call_times: list[float] = []
        self.effects: list[flows.Effect] = []
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def run(self, flow: Generator[flows.Effect, Any, Any]) -> Any:
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = flow.throw(error) if error else flow.send(reply)
            except StopIteration as stop:
                return stop.value
            self.effects.append(effect)
            reply, error = None, None
            if isinstance(effect, flows.Sleep):
                self.now += effect.seconds + self.late_wakes
                continue
            if isinstance(effect, flows.PutUpload):
                continue
            answer = self.replies.pop(0)
            self.call_times.append(self.now)
            self.now += self.read_seconds
            if isinstance(answer, BaseException):
                error = answer
            else:
                reply = answer
