"""``SeedanceClient`` and ``AsyncSeedanceClient``: two thin drivers of the same flows.

Each driver owns one httpx connection pool and knows how to perform the four effects a
flow can yield (send a request with retries, PUT an upload, POST a multipart upload,
sleep). Everything else (what to send, what a response means, when to retry, when to
poll) is decided once, in :mod:`.flows`, :mod:`.protocol` and :mod:`.retry`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, Retrying

from . import flows
from .download import DownloadTarget, PartialFile, plan_download, plan_downloads
from .errors import AuthenticationError, SeedanceError
from .flows import Call, Effect, OnUpdate, PostMultipart, PutUpload, Sleep
from .media import UploadSource
from .models import ImageToVideoRequest, Prediction
from .polling import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT
from .protocol import (
    DEFAULT_BASE_URL,
    MAX_ENVELOPE_BYTES,
    RequestSpec,
    interpret_response,
    normalise_base_url,
    same_origin,
    submit_failure,
    transport_failure,
)
from .retry import RetryPolicy

__all__ = ["AsyncSeedanceClient", "SeedanceClient"]

T = TypeVar("T")
_DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=120.0, pool=60.0)
_USER_AGENT = "seedance-workflows/0.1.0"
#: Explicitly no credentials: presigned upload URLs and output downloads never see the key.
_NO_AUTH = httpx.Auth()


class _ApiKeyAuth(httpx.Auth):
    """Adds the bearer key only to requests on the API's own origin.

    Output URLs live on CDNs and presigned upload URLs on storage hosts; neither ever
    sees the key. httpx also drops ``Authorization`` on a cross-origin redirect.
    """

    def __init__(self, api_key: str, base_url: str) -> None:
        self._header = f"Bearer {api_key}"
        self._base_url = base_url

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if same_origin(str(request.url), self._base_url):
            request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "_ApiKeyAuth(<redacted>)"


class _ClientConfig:
    """Settings shared by both clients: key, base URL, timeouts, retries, pool limits."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
        max_connections: int = 64,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("WAVESPEED_API_KEY")
        if not key or not key.strip():
            raise AuthenticationError(
                "no API key: pass api_key=... or set the WAVESPEED_API_KEY environment variable"
            )
        self.base_url = normalise_base_url(
            base_url or os.environ.get("WAVESPEED_BASE_URL") or DEFAULT_BASE_URL
        )
        self.retry = retry or RetryPolicy()
        self._httpx_options: dict[str, Any] = {
            "auth": _ApiKeyAuth(key.strip(), self.base_url),
            "timeout": timeout if timeout is not None else _DEFAULT_TIMEOUT,
            "verify": verify,
            "follow_redirects": True,
            "max_redirects": 5,
            "headers": {"User-Agent": _USER_AGENT},
            "limits": httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _wait_flow(
        self,
        prediction_id: str,
        timeout: float,
        poll_interval: float,
        on_update: OnUpdate | None,
        raise_on_failure: bool,
        result_url: str | None,
    ) -> Generator[Effect, Any, Prediction]:
        return flows.wait_flow(
            self.base_url,
            prediction_id,
            clock=time.monotonic,
            timeout=timeout,
            poll_interval=poll_interval,
            on_update=on_update,
            raise_on_failure=raise_on_failure,
            result_url=result_url,
        )

    @staticmethod
    def _auth_for(spec: RequestSpec) -> Any:
        return httpx.USE_CLIENT_DEFAULT if spec.authenticated else _NO_AUTH


class SeedanceClient(_ClientConfig):
    """Synchronous client. One connection pool; use as a context manager or ``close()``."""

    def __init__(
        self, api_key: str | None = None, base_url: str | None = None, **options: Any
    ) -> None:
        super().__init__(api_key, base_url, **options)
        self._http = httpx.Client(**self._httpx_options)

    # -- public API -------------------------------------------------------------------
    def submit(self, request: ImageToVideoRequest, *, webhook: str | None = None) -> Prediction:
        """Upload local images, then send one submit POST; never resent on ambiguity."""
        return self._run(flows.submit_flow(self.base_url, request, webhook=webhook))

    def get_prediction(self, prediction_id: str, *, result_url: str | None = None) -> Prediction:
        return self._run(flows.get_flow(self.base_url, prediction_id, result_url))

    def wait(
        self,
        prediction_id: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: OnUpdate | None = None,
        raise_on_failure: bool = True,
        result_url: str | None = None,
    ) -> Prediction:
        """Poll until terminal; raises on failure (unless told not to) and on timeout."""
        return self._run(
            self._wait_flow(
                prediction_id, timeout, poll_interval, on_update, raise_on_failure, result_url
            )
        )

    def generate(self, request: ImageToVideoRequest, **wait_options: Any) -> Prediction:
        """Submit and wait; raises on a failed generation and on timeout."""
        prediction = self.submit(request)
        return self.wait(prediction.id, result_url=prediction.result_url, **wait_options)

    def upload(self, source: UploadSource) -> str:
        """Upload a path, bytes or binary file; returns a URL usable as ``image``."""
        return self._run(flows.upload_flow(self.base_url, source))

    def download(
        self, source: str | Prediction, dest: str | os.PathLike[str], *, index: int = 0
    ) -> Path:
        """Stream one output to ``dest`` (a folder or a file path); returns the file's path."""
        return self._download(plan_download(source, dest, index))

    def download_all(self, prediction: Prediction, folder: str | os.PathLike[str]) -> list[Path]:
        return [self._download(target) for target in plan_downloads(prediction, folder)]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SeedanceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the driver -------------------------------------------------------------------
    def _run(self, flow: Generator[Effect, Any, T]) -> T:
        result: Any = None
        error: SeedanceError | None = None
        while True:
            try:
                effect = flow.throw(error) if error is not None else flow.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            result, error = None, None
            try:
                result = self._perform(effect)
            except SeedanceError as exc:
                error = exc

    def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Sleep):
            time.sleep(effect.seconds)
            return None
        if isinstance(effect, Call):
            return self._call(effect)
        if isinstance(effect, PutUpload):
            spec = RequestSpec(
                "PUT", effect.url, headers=effect.headers, authenticated=False, purpose="upload"
            )
            return self._retrying(lambda: self._put(spec, effect))
        spec = effect.request
        return self._retrying(lambda: self._send(spec, files={"file": _multipart(effect)}))

    def _call(self, call: Call) -> Any:
        started = time.time()
        try:
            for attempt in Retrying(**self.retry.tenacity_kwargs(call.retry)):
                with attempt:
                    return self._send(call.request)
        except SeedanceError as exc:
            if call.retry == "submit":
                raise submit_failure(exc, call.request, started_at=started) from exc
            raise
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _retrying(self, action: Any) -> Any:
        for attempt in Retrying(**self.retry.tenacity_kwargs("read")):
            with attempt:
                return action()
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _send(self, spec: RequestSpec, **extra: Any) -> Any:
        try:
            with self._http.stream(
                spec.method,
                spec.url,
                json=spec.json,
                params=spec.params,
                headers=spec.headers,
                auth=self._auth_for(spec),
                **extra,
            ) as response:
                body = _read_capped(response.iter_bytes())
        except httpx.TransportError as exc:
            raise transport_failure(exc, spec) from exc
        return interpret_response(
            response.status_code, response.headers, body, purpose=spec.purpose
        )

    def _put(self, spec: RequestSpec, effect: PutUpload) -> None:
        headers = {**effect.headers, "Content-Length": str(effect.blob.size)}
        try:
            response = self._http.put(
                effect.url, content=effect.blob.chunks(), headers=headers, auth=_NO_AUTH
            )
        except httpx.TransportError as exc:
            raise transport_failure(exc, spec) from exc
        if response.status_code >= 400:
            interpret_response(
                response.status_code, response.headers, response.content, purpose="upload"
            )

    def _download(self, target: DownloadTarget) -> Path:
        spec = RequestSpec("GET", target.url, authenticated=False, purpose="download")
        with PartialFile(target) as part:
            self._retrying(lambda: self._stream_into(part, spec))
        return target.path

    def _stream_into(self, part: PartialFile, spec: RequestSpec) -> None:
        try:
            with self._http.stream(
                "GET", spec.url, headers=part.request_headers(), auth=_NO_AUTH
            ) as response:
                error_body = response.read()[:4096] if response.status_code >= 400 else b""
                part.begin(response.status_code, response.headers, error_body)
                for chunk in response.iter_raw():
                    part.write(chunk)
        except httpx.TransportError as exc:
            raise transport_failure(exc, spec) from exc
        part.end_of_body()


class AsyncSeedanceClient(_ClientConfig):
    """Asynchronous client with the same methods as coroutines; safe to share across tasks.

    Cancelling a ``wait()`` stops polling at once (the remote job is unaffected: the
    API has no cancel endpoint).
    """

    def __init__(
        self, api_key: str | None = None, base_url: str | None = None, **options: Any
    ) -> None:
        super().__init__(api_key, base_url, **options)
        self._http = httpx.AsyncClient(**self._httpx_options)

    async def submit(
        self, request: ImageToVideoRequest, *, webhook: str | None = None
    ) -> Prediction:
        return await self._run(flows.submit_flow(self.base_url, request, webhook=webhook))

    async def get_prediction(
        self, prediction_id: str, *, result_url: str | None = None
    ) -> Prediction:
        return await self._run(flows.get_flow(self.base_url, prediction_id, result_url))

    async def wait(
        self,
        prediction_id: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: OnUpdate | None = None,
        raise_on_failure: bool = True,
        result_url: str | None = None,
    ) -> Prediction:
        return await self._run(
            self._wait_flow(
                prediction_id, timeout, poll_interval, on_update, raise_on_failure, result_url
            )
        )

    async def generate(self, request: ImageToVideoRequest, **wait_options: Any) -> Prediction:
        prediction = await self.submit(request)
        return await self.wait(prediction.id, result_url=prediction.result_url, **wait_options)

    async def upload(self, source: UploadSource) -> str:
        return await self._run(flows.upload_flow(self.base_url, source))

    async def download(
        self, source: str | Prediction, dest: str | os.PathLike[str], *, index: int = 0
    ) -> Path:
        return await self._download(plan_download(source, dest, index))

    async def download_all(
        self, prediction: Prediction, folder: str | os.PathLike[str]
    ) -> list[Path]:
        return [await self._download(target) for target in plan_downloads(prediction, folder)]

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncSeedanceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run(self, flow: Generator[Effect, Any, T]) -> T:
        result: Any = None
        error: SeedanceError | None = None
        while True:
            try:
                effect = flow.throw(error) if error is not None else flow.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            result, error = None, None
            try:
                result = await self._perform(effect)
            except SeedanceError as exc:
                error = exc

    async def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Sleep):
            await asyncio.sleep(effect.seconds)
            return None
        if isinstance(effect, Call):
            return await self._call(effect)
        if isinstance(effect, PutUpload):
            spec = RequestSpec(
                "PUT", effect.url, headers=effect.headers, authenticated=False, purpose="upload"
            )
            return await self._retrying(lambda: self._put(spec, effect))
        spec = effect.request
        return await self._retrying(lambda: self._send(spec, files={"file": _multipart(effect)}))

    async def _call(self, call: Call) -> Any:
        started = time.time()
        try:
            async for attempt in AsyncRetrying(**self.retry.tenacity_kwargs(call.retry)):
                with attempt:
                    return await self._send(call.request)
        except SeedanceError as exc:
            if call.retry == "submit":
                raise submit_failure(exc, call.request, started_at=started) from exc
            raise
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _retrying(self, action: Any) -> Any:
        async for attempt in AsyncRetrying(**self.retry.tenacity_kwargs("read")):
            with attempt:
                return await action()
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _send(self, spec: RequestSpec, **extra: Any) -> Any:
        try:
            async with self._http.stream(
                spec.method,
                spec.url,
                json=spec.json,
                params=spec.params,
                headers=spec.headers,
                auth=self._auth_for(spec),
                **extra,
            ) as response:
                body = await _aread_capped(response.aiter_bytes())
        except httpx.TransportError as exc:
            raise transport_failure(exc, spec) from exc
        return interpret_response(
            response.status_code, response.headers, body, purpose=spec.purpose
        )

    async def _put(self, spec: RequestSpec, effect: PutUpload) -> None:
        headers = {**effect.headers, "Content-Length": str(effect.blob.size)}
        try:
            response = await self._http.put(
                effect.url, content=_achunks(effect.blob.chunks()), headers=headers, auth=_NO_AUTH
            )
        except httpx.TransportError as exc:
            raise transport_failure(exc, spec) from exc
        if response.status_code >= 400:
            interpret_response(
                response.status_code, response.headers, response.content, purpose="upload"
            )

    async def _download(self, target: DownloadTarget) -> Path:
        spec = RequestSpec("GET", target.url, authenticated=False, purpose="download")
        with PartialFile(target) as part:
            await self._retrying(lambda: self._stream_into(part, spec))
        return target.path

    async def _stream_into(self, part: PartialFile, spec: RequestSpec) -> None:
        try:
            async with self._http.stream(
                "GET", spec.url, headers=part.request_headers(), auth=_NO_AUTH
            ) as response:
                error_body = (await response.aread())[:4096] if response.status_code >= 400 else b""
                part.begin(response.status_code, response.headers, error_body)
                async for chunk in response.aiter_raw():
                    part.write(chunk)
        except httpx.TransportError as exc:
            raise transport_failure(exc, spec) from exc
        part.end_of_body()


def _multipart(effect: PostMultipart) -> tuple[str, bytes, str]:
    return (effect.blob.filename, effect.blob.read_all(), effect.blob.content_type)


def _read_capped(chunks: Iterator[bytes]) -> bytes:
    """Read an envelope, refusing to buffer more than :data:`MAX_ENVELOPE_BYTES`."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > MAX_ENVELOPE_BYTES:
            break
    return bytes(body)


async def _aread_capped(chunks: AsyncIterator[bytes]) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > MAX_ENVELOPE_BYTES:
            break
    return bytes(body)


async def _achunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
