"""Both clients behind one async interface (``tests/support/clients.py``), so every
integration test runs on each: sync, async over httpx, async over aiohttp."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from seedance_simulator import Simulator
from shared_client import RetryPolicy
from tests.support.clients import AnyClient, ClientDriver, build_client, close_clients

from .scripted_server import ScriptedServer

API_KEY = "sk-integration-test-key-0123456789"
#: Quick retries so fault tests finish in seconds; still several attempts with backoff.
FAST_RETRY = RetryPolicy(max_attempts=6, max_elapsed=20.0, initial=0.05, maximum=0.5)


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
    made: list[AnyClient] = []

    def make(base_url: str, api_key: str = API_KEY, **options: Any) -> ClientDriver:
        options.setdefault("retry", FAST_RETRY)
        client = build_client(request.param, api_key=api_key, base_url=base_url, **options)
        if request.param != "sync":
            transport = request.param.split("-", 1)[1]
            assert client.transport == transport
        made.append(client)
        return ClientDriver(client)

    yield make
    await close_clients(made)
