"""``SeedanceRateLimitTrigger``: waits out the account's per-minute limit in the triggerer.

A submit answered 429 created nothing; the operator must submit again once WaveSpeed's
``Retry-After`` has passed. A Bronze account's wait is up to a minute, too long to hold
a worker slot, so the operator defers here and resubmits on resume. The trigger only
sleeps: it holds no key, reads nothing and never submits, so running in two triggerers
during a hand-over costs nothing (Airflow keeps one of the two identical events).
Its kwargs are one wall-clock time; a restarted triggerer sleeps only what is left.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


class SeedanceRateLimitTrigger(BaseTrigger):
    """Fire one ``{"status": "ready"}`` event at ``until`` (epoch seconds).

    Not the standard provider's ``DateTimeTrigger``: that one lives in different modules
    on Airflow 2.11 and 3, and checks the time once a second; a scaled test waits less.
    """

    def __init__(self, until: float) -> None:
        super().__init__()
        self.until = float(until)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}", {"until": self.until})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        remaining = self.until - time.time()
        if remaining > 0:
            await asyncio.sleep(remaining)
        yield TriggerEvent({"status": "ready", "until": self.until})
