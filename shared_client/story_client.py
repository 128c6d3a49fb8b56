"""What the story runner needs of a client: five coroutines, nothing else.

The runner is written against this protocol, not against ``AsyncSeedanceClient``, so the
stories layer sits below the drivers that offer ``generate_story`` (no import circle),
and a test or another driver can run a board with anything that has these methods.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from .effects import OnUpdate
from .request_common import RequestBase
from .submit_intent import SubmitIntent
from .values import Prediction, Quote

__all__ = ["StoryClient"]


class StoryClient(Protocol):
    """The async client's methods a storyboard run calls."""

    async def quote(self, request: RequestBase) -> Quote: ...

    async def submit(
        self,
        request: RequestBase,
        *,
        owner: str | None = None,
        on_intent: Callable[[SubmitIntent], Any] | None = None,
        quote: Quote | None = None,
    ) -> Prediction: ...

    async def settle_submission(
        self, intent: SubmitIntent, *, settle_window: float = ...
    ) -> Prediction | None: ...

    async def wait(
        self,
        prediction_id: str,
        *,
        timeout: float = ...,  # noqa: ASYNC109 - the wait budget, as on the client
        poll_interval: float = ...,
        on_update: OnUpdate | None = None,
    ) -> Prediction: ...

    async def download(
        self, source: str | Prediction, dest: str | os.PathLike[str], *, index: int = 0
    ) -> Path: ...
