"""PROTOTYPE (benchmarks only): ``AsyncSeedanceClient`` sending its API calls over aiohttp.

Why it exists: benchmark 2 showed that the async client's CPU time per request is set
by httpx/httpcore (about 0.4 ms per keep-alive request on this machine, more when 200
waiters share one pool), which is no cheaper than the official SDK opening a new
connection per request with ``requests``. aiohttp costs about 0.07 ms per request. This
subclass swaps only the transport of the envelope calls (``_send`` without files), so
the flows, retries and response interpretation stay the shipped ones, and it waits one
poll interval after submitting before the first status read (the submit response
already says the task is ``created``). Benchmark 2 runs it as a third side to show
the figure the proposed change reaches; the shipped client is what the targets judge.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from shared_client import AsyncSeedanceClient, ImageToVideoRequest, Prediction
from shared_client.errors import ServiceUnreachableError
from shared_client.protocol import MAX_ENVELOPE_BYTES, RequestSpec, interpret_response


class AiohttpSeedanceClient(AsyncSeedanceClient):
    """The shipped async client with aiohttp under its JSON API calls."""

    def __init__(self, api_key: str, base_url: str, **options: Any) -> None:
        super().__init__(api_key, base_url, **options)
        self._authorization = f"Bearer {api_key}"
        self._session: aiohttp.ClientSession | None = None

    def _aio(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64),
                timeout=aiohttp.ClientTimeout(sock_connect=10, sock_read=60),
            )
        return self._session

    async def _send(self, spec: RequestSpec, **extra: Any) -> Any:
        if extra:  # multipart uploads keep the httpx path
            return await super()._send(spec, **extra)
        headers = dict(spec.headers)
        if spec.authenticated:
            headers["Authorization"] = self._authorization
        try:
            async with self._aio().request(
                spec.method,
                spec.url,
                json=dict(spec.json) if spec.json is not None else None,
                params=dict(spec.params) or None,
                headers=headers,
            ) as response:
                body = await response.content.read(MAX_ENVELOPE_BYTES + 1)
                status, response_headers = response.status, response.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServiceUnreachableError(
                f"{spec.purpose}: no response ({type(exc).__name__}: {exc})",
                request_sent=not isinstance(exc, aiohttp.ClientConnectorError),
            ) from exc
        return interpret_response(status, response_headers, body, purpose=spec.purpose)

    async def generate(self, request: ImageToVideoRequest, **wait_options: Any) -> Prediction:
        prediction = await self.submit(request)
        await asyncio.sleep(float(wait_options.get("poll_interval", 5.0)))
        return await self.wait(prediction.id, result_url=prediction.result_url, **wait_options)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        await super().aclose()
