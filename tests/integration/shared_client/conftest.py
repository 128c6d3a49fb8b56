"""Both clients behind one async interface, so every integration test runs on each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from seedance_simulator import Simulator
from shared_client import AsyncSeedanceClient, RetryPolicy, SeedanceClient

from .scripted_server import ScriptedServer

API_KEY = "sk-integration-test-key-0123456789"
#: Quick retries so fault tests finish in seconds; still several attempts with backoff.
FAST_RETRY = RetryPolicy(max_attempts=6, max_elapsed=20.0, initial=0.05, maximum=0.5)


class Driver:
    """Calls a sync client in a worker thread or an async client directly."""

    def __init__(self, kind: str, client: SeedanceClient | AsyncSeedanceClient) -> None:
        self.kind = kind
        self.client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.kind == "async":
                return await method(*args, **kwargs)
            return await asyncio.to_thread(method, *args, **kwargs)

        return call


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    with Simulator(api_key=API_KEY, generation_time=0.6, fast=True, seed=7) as sim:
        yield sim


@pytest.fixture
def sim(simulator: Simulator) -> Simulator:
    simulator.set_faults(seed=7)
    simulator.set_generation_time(0.6)
    simulator.reset_stats()
    return simulator


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture(params=["sync", "async-httpx", "async-aiohttp"])
async def driver_factory(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """``make(base_url, api_key=..., **options)`` builds a sync or an async client driver."""
    made: list[SeedanceClient | AsyncSeedanceClient] = []

    def make(base_url: str, api_key: str = API_KEY, **options: Any) -> Driver:
        options.setdefault("retry", FAST_RETRY)
        client: SeedanceClient | AsyncSeedanceClient
        if request.param == "sync":
            client = SeedanceClient(api_key=api_key, base_url=base_url, **options)
        else:
            transport = request.param.split("-", 1)[1]
            client = AsyncSeedanceClient(
                api_key=api_key, base_url=base_url, transport=transport, **options
            )
            assert client.transport == transport
        made.append(client)
        return Driver("sync" if request.param == "sync" else "async", client)

    yield make
    for client in made:
        if isinstance(client, AsyncSeedanceClient):
            await client.aclose()
        else:
            client.close()
