"""What both clients share: configuration, the origin-scoped key, and small helpers.

The API key lives only inside :class:`_ApiKeyAuth`, which adds it to requests on the API's
own origin; nothing else holds or prints it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

import httpx

from . import flows, recovery
from ._version import USER_AGENT
from .errors import MissingKeyError
from .flows import Effect, OnUpdate, PostMultipart
from .polling import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT
from .protocol import (
    DEFAULT_BASE_URL,
    MAX_REDIRECTS,
    RequestSpec,
    normalise_base_url,
    same_origin,
)
from .request_common import RequestBase as GenerationRequest
from .retry import RetryPolicy
from .submit_intent import SubmitIntent
from .tls import tls_context
from .values import Prediction, Quote

T = TypeVar("T")
_DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=120.0, pool=60.0)
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

    @property
    def authorization(self) -> str:
        """The header value, for the aiohttp envelope transport (same origin rule there)."""
        return self._header

    def __repr__(self) -> str:
        return "_ApiKeyAuth(<redacted>)"


class ClientConfig:
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
            raise MissingKeyError()
        self.base_url = normalise_base_url(
            base_url or os.environ.get("WAVESPEED_BASE_URL") or DEFAULT_BASE_URL
        )
        self.retry = retry or RetryPolicy()
        self._verify = verify
        self._httpx_options: dict[str, Any] = {
            "auth": _ApiKeyAuth(key.strip(), self.base_url),
            "timeout": timeout if timeout is not None else _DEFAULT_TIMEOUT,
            "verify": tls_context(verify),
            "follow_redirects": True,
            "max_redirects": MAX_REDIRECTS,
            "headers": {"User-Agent": USER_AGENT},
            "limits": httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _same_settings(self) -> dict[str, Any]:
        """Constructor arguments for another client with these settings (the sync client
        runs stories on an async twin). The key stays inside the auth object."""
        auth: _ApiKeyAuth = self._httpx_options["auth"]
        limits: httpx.Limits = self._httpx_options["limits"]
        return {
            "api_key": auth.authorization.removeprefix("Bearer "),
            "base_url": self.base_url,
            "timeout": self._httpx_options["timeout"],
            "retry": self.retry,
            "verify": self._verify,
            "max_connections": limits.max_connections or 64,
        }

    def _wait_flow(
        self,
        prediction_id: str,
        timeout: float,
        poll_interval: float,
        on_update: OnUpdate | None,
        raise_on_failure: bool,
        result_url: str | None,
        first_poll_after: float = 0.0,
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
            first_poll_after=first_poll_after,
        )

    def _submit_flow(
        self,
        request: GenerationRequest,
        webhook: str | None,
        reconcile: bool,
        owner: str | None,
        on_intent: Callable[[SubmitIntent], Any] | None,
        others: Sequence[SubmitIntent],
        quote: Quote | None = None,
    ) -> Generator[Effect, Any, Prediction]:
        return flows.submit_flow(
            self.base_url,
            request,
            quote=quote,
            webhook=webhook,
            reconcile=reconcile,
            owner=owner,
            on_intent=on_intent,
            others=others,
        )

    def _settle_flow(
        self,
        intent: SubmitIntent,
        settle_window: float,
        interval: float,
        others: Callable[[], Sequence[SubmitIntent]] | None,
        on_search: Callable[[float], Any] | None,
    ) -> Generator[Effect, Any, Prediction | None]:
        return recovery.settle_flow(
            self.base_url,
            intent,
            clock=time.time,
            settle_window=settle_window,
            interval=interval,
            others=others,
            on_search=on_search,
        )

    @staticmethod
    def _auth_for(spec: RequestSpec) -> Any:
        return httpx.USE_CLIENT_DEFAULT if spec.authenticated else _NO_AUTH


def _wait_defaults(options: dict[str, Any]) -> dict[str, Any]:
    """``generate()``'s wait options with the same defaults ``wait()`` has."""
    return {"timeout": DEFAULT_TIMEOUT, "poll_interval": DEFAULT_POLL_INTERVAL, **options}


def _multipart(effect: PostMultipart) -> tuple[str, bytes, str]:
    return (effect.blob.filename, effect.blob.read_all(), effect.blob.content_type)
