"""The peers of benchmark 1: triggers written the way Airflow providers commonly write them.

Why they exist (and only here, never in the product): a claim that our trigger is cheap
means something only next to what a user would otherwise run in the same triggerer,
polling the same simulator. Two shapes recur in provider code:

* :class:`ToThreadSdkTrigger`: each poll calls a synchronous client (here the official
  ``wavespeed`` SDK's ``Client.get_result``; ``requests`` underneath, a new connection
  per call) inside ``asyncio.to_thread``, as triggers wrapping a sync hook do;
* :class:`AsyncClientPerTrigger`: a native async trigger that opens its own
  ``httpx.AsyncClient`` for its lifetime (one pool, TLS context and connection each).

Both poll on the same schedule as ours (a sleep of ``poll_interval`` between reads) and
yield the same event shape (``status``, ``prediction``, ``message``), so the benchmark
checks every side's events the same way. To keep the comparison about waiting, not
about looking up credentials, they read the base URL and the (benchmark-only, not
secret) key from the environment of their triggerer; that favours them slightly.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

TERMINAL = ("completed", "failed")


def _settings() -> tuple[str, str]:
    return os.environ["SEEDANCE_PEER_BASE_URL"], os.environ["SEEDANCE_PEER_API_KEY"]


def _event(data: dict[str, Any]) -> TriggerEvent:
    status = "success" if data.get("status") == "completed" else "failed"
    return TriggerEvent({"status": status, "prediction": data, "message": data.get("status")})


class _PeerTrigger(BaseTrigger):
    def __init__(self, prediction_id: str, poll_interval: float = 5.0) -> None:
        super().__init__()
        self.prediction_id = prediction_id
        self.poll_interval = float(poll_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"prediction_id": self.prediction_id, "poll_interval": self.poll_interval},
        )


class ToThreadSdkTrigger(_PeerTrigger):
    """A sync SDK call in ``asyncio.to_thread`` per poll (the common 'wrap the hook' shape)."""

    async def run(self) -> AsyncIterator[TriggerEvent]:
        import wavespeed

        base_url, key = _settings()
        client = wavespeed.Client(api_key=key, base_url=base_url)
        while True:
            body = await asyncio.to_thread(client.get_result, self.prediction_id)
            data = body["data"]
            if data.get("status") in TERMINAL:
                yield _event(data)
                return
            await asyncio.sleep(self.poll_interval)


class AsyncClientPerTrigger(_PeerTrigger):
    """A native async trigger with its own ``httpx.AsyncClient`` for its whole wait."""

    async def run(self) -> AsyncIterator[TriggerEvent]:
        import httpx

        base_url, key = _settings()
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
            while True:
                response = await client.get(f"/api/v3/predictions/{self.prediction_id}/result")
                response.raise_for_status()
                data = response.json()["data"]
                if data.get("status") in TERMINAL:
                    yield _event(data)
                    return
                await asyncio.sleep(self.poll_interval)
