"""Both clients behind one async interface, so a test body runs unchanged on each.

``kind`` names a client: ``"sync"`` (``SeedanceClient``, called in a worker thread),
``"async"`` (``AsyncSeedanceClient`` with its default transport) or ``"async-<transport>"``
(``"async-httpx"``, ``"async-aiohttp"``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from shared_client import AsyncSeedanceClient, RetryPolicy, SeedanceClient

#: Two quick attempts: for tests where a failure is expected and retries only cost time.
QUICK_RETRY = RetryPolicy(max_attempts=2, max_elapsed=5.0, initial=0.01, maximum=0.02)

AnyClient = SeedanceClient | AsyncSeedanceClient


def build_client(kind: str, *, api_key: str, base_url: str, **options: Any) -> AnyClient:
    """A sync or an async client of ``kind`` (see the module docstring)."""
    if kind == "sync":
        return SeedanceClient(api_key=api_key, base_url=base_url, **options)
    if kind.startswith("async-"):
        options["transport"] = kind.split("-", 1)[1]
    elif kind != "async":
        raise ValueError(f"unknown client kind {kind!r}")
    return AsyncSeedanceClient(api_key=api_key, base_url=base_url, **options)


class ClientDriver:
    """Calls a sync client in a worker thread or an async client directly.

    ``await driver.submit(...)`` (any public client method by name) or
    ``await driver.call("submit", ...)``.
    """

    def __init__(self, client: AnyClient) -> None:
        self.client = client
        self.kind = "async" if isinstance(client, AsyncSeedanceClient) else "sync"

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self.client, name)
        if self.kind == "async":
            return await method(*args, **kwargs)
        return await asyncio.to_thread(method, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy/pickle probes; client internals are not driven
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self.call(name, *args, **kwargs)

        return call


async def close_clients(clients: Iterable[AnyClient]) -> None:
    """Close every client a fixture made, each the way its kind closes."""
    for client in clients:
        if isinstance(client, AsyncSeedanceClient):
            await client.aclose()
        else:
            client.close()
