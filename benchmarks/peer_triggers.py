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
checks every side's events the same way. Like ours, both take the key and host from the
Airflow connection (``wavespeed_default``), once per trigger run, where a provider's
trigger must get them: the ``to_thread`` one through the sync lookup in its hook's first
call (a hook that keeps its connection, the common shape), the per-trigger client
through Airflow's async lookup, as ours does. Why it matters: in a real Airflow 3.3
triggerer the lookup's round trip to the supervisor scatters the triggers' polls in time,
and scattered polls cost more CPU than polls in herds (benchmarks/notes/
bench_triggerer_density.md), so peers reading the environment would be measured in a
state no provider trigger runs in.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

TERMINAL = ("completed", "failed")


CONN_ID = "wavespeed_default"


def _sync_connection() -> tuple[str, str]:
    """Host and key through Airflow's sync lookup (what a sync hook's ``get_conn`` does)."""
    try:
        from airflow.sdk import BaseHook
    except ImportError:  # Airflow 2.x
        from airflow.hooks.base import BaseHook  # type: ignore[no-redef]

    conn = BaseHook.get_connection(CONN_ID)
    return str(conn.host), str(conn.password)


async def _async_connection() -> tuple[str, str]:
    """Host and key through Airflow's async lookup (what a native async trigger does)."""
    from airflow.providers.common.compat.connection import get_async_connection

    conn = await get_async_connection(CONN_ID)
    return str(conn.host), str(conn.password)


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

        client: Any = None

        def get_status() -> Any:  # the sync hook call
            nonlocal client
            if client is None:  # the hook resolves its connection on first use, then keeps it
                base_url, key = _sync_connection()
                client = wavespeed.Client(api_key=key, base_url=base_url)
            return client.get_result(self.prediction_id)

        while True:
            body = await asyncio.to_thread(get_status)
            data = body["data"]
            if data.get("status") in TERMINAL:
                yield _event(data)
                return
            await asyncio.sleep(self.poll_interval)


class AsyncClientPerTrigger(_PeerTrigger):
    """A native async trigger with its own ``httpx.AsyncClient`` for its whole wait."""

    async def run(self) -> AsyncIterator[TriggerEvent]:
        import httpx

        base_url, key = await _async_connection()
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
