"""Supporting measurement for benchmarks 1 and 2: CPU time per status request, per HTTP stack.

Why: the triggerer-density and SDK comparisons are dominated by what one poll costs
the caller. This measures it directly, with the simulator in its own process so only
the client's CPU is counted: plain httpx, our async client (sequential and 200 at once
on its default pool of 64), aiohttp (sequential and 200 at once), and ``requests.get``
opening a new connection each time (what the official SDK does). Informational: it has
no target and is not part of ``run_all.py``.

    .venv/bin/python benchmarks/request_cost.py
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import harness

N = 2000


async def _cpu_ms_per_call(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    await fn()  # connection open, caches warm
    start = harness.cpu_seconds()
    for _ in range(n):
        await fn()
    return (harness.cpu_seconds() - start) / n * 1000


async def _cpu_ms_per_burst_call(fn: Callable[[], Awaitable[Any]], width: int = 200) -> float:
    start = harness.cpu_seconds()
    for _ in range(5):
        await asyncio.gather(*(fn() for _ in range(width)))
    return (harness.cpu_seconds() - start) / (5 * width) * 1000


async def measure(base_url: str, prediction_id: str) -> dict[str, float]:
    import aiohttp
    import httpx

    from shared_client import AsyncSeedanceClient

    url = f"{base_url}/api/v3/predictions/{prediction_id}/result"
    headers = {"Authorization": f"Bearer {harness.BENCH_API_KEY}"}
    out: dict[str, float] = {}
    async with httpx.AsyncClient() as client:
        out["httpx_sequential"] = await _cpu_ms_per_call(
            lambda: client.get(url, headers=headers), N
        )
    async with AsyncSeedanceClient(api_key=harness.BENCH_API_KEY, base_url=base_url) as ours:
        out["ours_sequential"] = await _cpu_ms_per_call(
            lambda: ours.get_prediction(prediction_id), N
        )
        out["ours_200_at_once"] = await _cpu_ms_per_burst_call(
            lambda: ours.get_prediction(prediction_id)
        )
    async with aiohttp.ClientSession() as session:

        async def aio_get() -> bytes:
            async with session.get(url, headers=headers) as resp:
                return await resp.read()

        out["aiohttp_sequential"] = await _cpu_ms_per_call(aio_get, N)
        out["aiohttp_200_at_once"] = await _cpu_ms_per_burst_call(aio_get)
    return out


def main() -> int:
    import requests

    from shared_client import ImageToVideoRequest, SeedanceClient

    with harness.simulator_process("3600") as base_url:
        with SeedanceClient(api_key=harness.BENCH_API_KEY, base_url=base_url) as client:
            prediction = client.submit(
                ImageToVideoRequest(prompt="cost probe", image=harness.png_bytes())
            )
        figures = asyncio.run(measure(base_url, prediction.id))
        url = f"{base_url}/api/v3/predictions/{prediction.id}/result"
        headers = {"Authorization": f"Bearer {harness.BENCH_API_KEY}"}
        start = harness.cpu_seconds()
        for _ in range(500):
            requests.get(url, headers=headers, timeout=10)
        figures["requests_new_connection"] = (harness.cpu_seconds() - start) / 500 * 1000
    harness.RESULTS_DIR.mkdir(exist_ok=True)
    (harness.RESULTS_DIR / "request_cost.json").write_text(
        json.dumps({"machine": harness.machine(), "cpu_ms_per_request": figures}, indent=2) + "\n"
    )
    print(
        "INFO request_cost (CPU ms per status request): "
        + ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
