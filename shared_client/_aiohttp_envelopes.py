"""The async client's JSON API calls over aiohttp, when aiohttp is installed.

Why: a status poll is a small request repeated thousands of times by a triggerer or a
batch. httpx spends about 0.4 ms of CPU on each (0.9 ms when hundreds of waiters share
a pool); aiohttp about 0.07 ms (see docs/benchmarks.md, benchmarks 1 and 2). Only the
envelope calls (submit, result, upload ticket, history) go this way: their meaning is
still decided by :mod:`.protocol`. Uploads and downloads stay on httpx. aiohttp is an
optional dependency: without it the async client sends everything over httpx.

Safety matches the httpx path: the key is added only to requests on the API's origin,
redirects are not followed for API calls (the API does not redirect; a 3xx is reported),
TLS verification follows the client's ``verify`` setting, bodies are capped.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx

from ._version import USER_AGENT
from .errors import APIError, InvalidRequestError
from .protocol import (
    MAX_ENVELOPE_BYTES,
    RequestSpec,
    TransportFault,
    interpret_response,
    same_origin,
    transport_failure,
)

try:
    import aiohttp
except ImportError:  # pragma: no cover - exercised where aiohttp is absent
    aiohttp = None  # type: ignore[assignment]

__all__ = ["AiohttpEnvelopes", "aiohttp_available", "fault_from_aiohttp"]


def aiohttp_available() -> bool:
    return aiohttp is not None


class AiohttpEnvelopes:
    """Sends envelope requests on one aiohttp session, made lazily inside the running loop."""

    def __init__(
        self,
        *,
        authorization: str,
        base_url: str,
        timeout: httpx.Timeout,
        verify: ssl.SSLContext | bool,
        max_connections: int,
    ) -> None:
        self._authorization = authorization
        self._base_url = base_url
        self._timeout = timeout
        self._verify = verify
        self._max_connections = max_connections
        self._session: Any = None

    def __repr__(self) -> str:
        return f"AiohttpEnvelopes(base_url={self._base_url!r})"

    def _ssl(self) -> ssl.SSLContext | bool:
        """The httpx side's shared context (see :mod:`shared_client.tls`), or ``False``."""
        return self._verify

    def _get_session(self) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, ssl=self._ssl()),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    sock_connect=self._timeout.connect,
                    sock_read=self._timeout.read,
                ),
                headers={"User-Agent": USER_AGENT},
            )
        return self._session

    async def send(self, spec: RequestSpec) -> dict[str, Any]:
        headers = dict(spec.headers)
        if spec.authenticated and same_origin(spec.url, self._base_url):
            headers["Authorization"] = self._authorization
        try:
            async with self._get_session().request(
                spec.method,
                spec.url,
                json=dict(spec.json) if spec.json is not None else None,
                params=dict(spec.params) or None,
                headers=headers,
                allow_redirects=False,
            ) as response:
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > MAX_ENVELOPE_BYTES:
                        break
                status, response_headers = response.status, response.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise transport_failure(fault_from_aiohttp(exc), spec) from exc
        if 300 <= status < 400:
            raise APIError(
                f"{spec.purpose} (HTTP {status}): the API answered with a redirect to "
                f"{response_headers.get('location', '?')!r}; API calls are not redirected",
                status_code=status,
            )
        return interpret_response(status, response_headers, bytes(body), purpose=spec.purpose)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
            await asyncio.sleep(0)  # let the connector close its transports


def fault_from_aiohttp(exc: BaseException) -> TransportFault:
    """Name an aiohttp failure as a :class:`TransportFault`, as httpx's are named.

    What matters is whether the request may have left this host: connecting (refused,
    DNS, TLS handshake, connect timeout) means it did not; anything later means it may.
    A bare ``TimeoutError`` is the session's read timeout: the request was sent.
    """
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TransportFault("connect_timeout", message)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportFault("connect", message)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return TransportFault("read_timeout", message)
    if isinstance(exc, aiohttp.ClientError):
        return TransportFault("protocol", message)
    return TransportFault("read_timeout", str(exc) or "read timeout")


def envelope_transport(
    choice: str, options: dict[str, Any], base_url: str
) -> AiohttpEnvelopes | None:
    """The aiohttp carrier for ``choice`` ("auto", "httpx" or "aiohttp"), or None for httpx.

    ``options`` are the client's httpx options, so both carriers share the key's origin
    rule, timeouts, TLS setting and pool size.
    """
    if choice not in ("auto", "httpx", "aiohttp"):
        raise InvalidRequestError("transport", choice, "'auto', 'httpx' or 'aiohttp'")
    if choice == "httpx" or (choice == "auto" and not aiohttp_available()):
        return None
    if not aiohttp_available():
        raise InvalidRequestError(
            "transport", choice, "'auto' or 'httpx' (install aiohttp for 'aiohttp')"
        )
    timeout = options["timeout"]
    return AiohttpEnvelopes(
        authorization=options["auth"].authorization,
        base_url=base_url,
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        verify=options["verify"],
        max_connections=options["limits"].max_connections,
    )
